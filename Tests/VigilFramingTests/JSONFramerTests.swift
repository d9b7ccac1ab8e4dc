import Testing
import VigilCore
@testable import VigilFraming

/// Frames `input` fed in chunks of `chunk` bytes; records as strings, bad frames as "!reason".
func frames(_ input: [UInt8], chunk: Int, max: Int = 1 << 20) -> [String] {
    var framer = JSONFramer(maxRecordBytes: max)
    var out: [String] = []
    let emit: (Frame) -> Void = { f in
        switch f {
        case .record(let b, _, _): out.append(String(decoding: b, as: UTF8.self))
        case .bad(let reason, _, let length, _, _): out.append("!\(reason):\(length)")
        }
    }
    inChunks(input, of: chunk) { framer.push($0, emit: emit) }
    framer.finish(emit: emit)
    return out
}

/// Hands `bytes` to `body` in consecutive slices of `size` bytes (the last may be shorter).
func inChunks(_ bytes: [UInt8], of size: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
    var i = 0
    while i < bytes.count {
        let end = min(bytes.count, i + size)
        bytes[i..<end].withUnsafeBytes(body)
        i = end
    }
}

@Suite struct JSONFramerTests {
    static let lines = """
    {"eventID":"1","a":{"b":"}"}}
    {"eventID":"2","s":"quote \\" brace { ["}
    {"eventID":"3"}

    """

    @Test func push_whenJSONLines_emitsOneRecordPerLine() {
        #expect(frames(Array(Self.lines.utf8), chunk: 4096) == [
            #"{"eventID":"1","a":{"b":"}"}}"#, #"{"eventID":"2","s":"quote \" brace { ["}"#, #"{"eventID":"3"}"#,
        ])
    }

    @Test func push_whenSplitAtEveryChunkSize_emitsSameRecordsAsOneChunk() {
        let inputs = [Self.lines,
                      "{\"Records\":[{\"eventID\":\"a\"},{\"eventID\":\"b\",\"x\":[1,2]}]}\n{\"Records\":[]}",
                      "{\n  \"Records\": [\n    {\n      \"eventID\": \"p\"\n    },\n    {\"eventID\": \"q\"}\n  ]\n}\n",
                      "{\"eventID\":\"1\"}\n{\"broken\":\n{\"eventID\":\"2\"}\nnot json\n"]
        for text in inputs {
            let bytes = Array(text.utf8)
            let oracle = frames(bytes, chunk: bytes.count)
            for size in 1...bytes.count {
                #expect(frames(bytes, chunk: size) == oracle, "chunk size \(size)")
            }
        }
    }

    @Test func push_whenRecordsWrapper_emitsEachElement() {
        let text = "{\"Records\":[{\"eventID\":\"a\"},{\"eventID\":\"b\"}]}"
        #expect(frames(Array(text.utf8), chunk: 7) == [#"{"eventID":"a"}"#, #"{"eventID":"b"}"#])
    }

    @Test func push_whenPrettyPrintedRecords_emitsEachElement() {
        let text = "{\n  \"Records\" : [\n    {\n      \"eventID\": \"p\"\n    },\n    {\"eventID\": \"q\"}\n  ]\n}\n"
        let out = frames(Array(text.utf8), chunk: 5)
        #expect(out == ["{\n      \"eventID\": \"p\"\n    }", "{\"eventID\": \"q\"}"])
    }

    @Test func push_whenLineTruncated_reportsItAndKeepsNextLine() {
        let text = "{\"eventID\":\"1\"}\n{\"eventID\":\"2\",\"cut\n{\"eventID\":\"3\"}\n"
        let out = frames(Array(text.utf8), chunk: 3)
        #expect(out == [#"{"eventID":"1"}"#, "!truncated-record:19", #"{"eventID":"3"}"#])
    }

    @Test func push_whenGarbageLine_reportsNotJSON() {
        let out = frames(Array("hello world\n{\"eventID\":\"1\"}\n".utf8), chunk: 2)
        #expect(out == ["!not-json:11", #"{"eventID":"1"}"#])
    }

    @Test func push_whenRecordExceedsCap_reportsTooLargeWithFullLength() {
        let big = "{\"eventID\":\"1\",\"pad\":\"" + String(repeating: "x", count: 5000) + "\"}"
        let out = frames(Array((big + "\n{\"eventID\":\"2\"}\n").utf8), chunk: 1000, max: 1024)
        #expect(out == ["!record-too-large:\(big.utf8.count)", #"{"eventID":"2"}"#])
    }

    @Test func push_whenStreamEndsMidRecord_reportsTruncated() {
        let out = frames(Array("{\"eventID\":\"1\"}\n{\"eventID\":".utf8), chunk: 4)
        #expect(out == [#"{"eventID":"1"}"#, "!truncated-record:11"])
    }

    @Test func push_whenRandomBytes_accountsForEveryByteWithoutCrashing() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let bytes = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let out = frames(bytes, chunk: 777, max: 4096)
            #expect(!out.isEmpty)
        }
    }

    @Test func push_reportsOffsetAndLineOfEachRecord() {
        var framer = JSONFramer()
        var got: [(Int64, Int64)] = []
        Array("{\"a\":1}\n\n  {\"b\":2}\n".utf8).withUnsafeBytes { b in
            framer.push(b) { f in if case .record(_, let o, let l) = f { got.append((o, l)) } }
        }
        #expect(got.map(\.0) == [0, 11])
        #expect(got.map(\.1) == [1, 3])
    }
}

@Suite struct AdaptiveFramerTests {
    func frames(_ text: String, chunk: Int) -> [String] {
        var f = AdaptiveFramer(maxRecordBytes: 1024)
        var out: [String] = []
        let emit: (Frame) -> Void = { fr in
            switch fr {
            case .record(let b, _, let line): out.append("\(line):" + String(decoding: b, as: UTF8.self))
            case .bad(let r, _, _, _, let line): out.append("\(line):!\(r)")
            }
        }
        inChunks(Array(text.utf8), of: chunk) { f.push($0, emit: emit) }
        f.finish(emit: emit)
        return out
    }

    @Test func push_whenInputIsText_emitsEachNonEmptyLine() {
        let text = "owner bucket [06/Feb/2019:00:00:38 +0000] a\r\n\nowner bucket [06/Feb/2019:00:00:39 +0000] b"
        for chunk in [1, 3, 7, 100] {
            #expect(frames(text, chunk: chunk) == ["1:owner bucket [06/Feb/2019:00:00:38 +0000] a", "3:owner bucket [06/Feb/2019:00:00:39 +0000] b"])
        }
    }

    @Test func push_whenInputIsJSON_framesAsJSON() {
        #expect(frames("  \n{\"Records\":[{\"a\":1},{\"b\":2}]}", chunk: 2) == ["2:{\"a\":1}", "2:{\"b\":2}"])
    }
}
