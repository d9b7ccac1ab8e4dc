import Foundation
import Testing
@testable import VigilPipeline
import VigilCore
import VigilParsing
import VigilSources
import VigilTestSupport

/// Whole JSON lines go straight to the CloudTrail fast path, skipping the framer's byte-wise pass;
/// what comes out (events, dead letters, their offsets and lines) is what framing each byte gives.
/// Fed one byte at a time no line is ever whole inside a chunk, so the framer reads everything:
/// that run is the reference for every other chunking, for decoding ahead on a thread, and for
/// `--parse-only`'s counting.
@Suite struct FastLineTests {
    static func ct(_ id: String, _ extra: String = "") -> String {
        TestSupport.cloudTrail(id: id, time: "2026-11-02T10:00:0\(id.count % 10)Z").replacingOccurrences(of: "{\"eventVersion\"", with: "{\(extra)\"eventVersion\"")
    }

    /// Lines of every shape the framer must still decide: blanks, escapes and non-ASCII (fallback),
    /// two records on a line, a cut line, garbage, a record without a time, a CRLF line, a record
    /// with leading blanks, an array; last, a `Records` wrapper written on one line (after which the
    /// framer treats the input as pretty-printed, so nothing more is offered as a line).
    static func text(wrapper: Bool) -> String {
        var lines: [String] = []
        for i in 0..<40 { lines.append(ct("plain-\(i)")) }
        lines.append(ct("esc", #""userAgent":"a\"b","#))
        lines.append(ct("utf8", #""userAgent":"Grüße","#))
        lines.append(ct("two-a") + ct("two-b"))
        lines.append(String(ct("cut").dropLast(9)))
        lines.append("this is not json")
        lines.append(#"{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#)
        lines.append(ct("crlf") + "\r")
        lines.append("   " + ct("indented") + "  ")
        lines.append("")
        lines.append("[1,2]")
        lines.append(ct("dup", #""eventName":"X","#))
        for i in 0..<20 { lines.append(ct("tail-\(i)")) }
        if wrapper {
            lines.append(#"{"Records":["# + ct("wrapped-1") + "," + ct("wrapped-2") + "]}")
            lines.append(ct("after-wrapper"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ item: ReadItem) -> String? {
        switch item {
        case .event(let e): return "event \(e.id) \(e.action) \(e.position.offset):\(e.position.line) raw=\(e.raw?.count ?? -1)"
        case .dead(let d, let isRecord): return "dead \(d.reason) \(d.position.offset):\(d.position.line) \(isRecord) \(d.excerpt.prefix(40))"
        case .inputDone(_, let bytes): return "done \(bytes)"
        case .parsed, .progress, .opened: return nil
        }
    }

    static func items(_ bytes: [UInt8], chunk: Int, countOnly: Bool = false) throws -> (items: [String], counts: ParseCounts) {
        let parser = FormatParser(format: nil, keepAllRaw: true)
        let s = RecordStream(name: "x", parser: parser, maxRecordBytes: 1 << 20, countOnly: countOnly)
        var out: [String] = []
        var counts = ParseCounts()
        let sink: (ReadItem) throws -> Void = { item in
            if case .parsed(let c) = item { counts.fast += c.fast; counts.full += c.full; counts.counted += c.counted }
            if let d = describe(item) { out.append(d) }
        }
        var i = 0
        while i < bytes.count {
            try bytes[i..<min(bytes.count, i + chunk)].withUnsafeBytes { try s.push($0, sink) }
            i += chunk
        }
        try s.finish(sink)
        return (out, counts)
    }

    @Test func wholeLinesGiveWhatByteWiseFramingGives() throws {
        let bytes = Array(Self.text(wrapper: true).utf8)
        let reference = try Self.items(bytes, chunk: 1)
        for chunk in [7, 100, 1000, 4096, bytes.count] {
            let got = try Self.items(bytes, chunk: chunk)
            #expect(got.items == reference.items, "chunk \(chunk)")
        }
        let whole = try Self.items(bytes, chunk: bytes.count)
        // Everything that is an ordinary one-record line took the fast path without framing.
        #expect(whole.counts.fast >= 60)
        #expect(whole.counts.full >= 4)
        #expect(reference.items.contains { $0.hasPrefix("event wrapped-2") })
        #expect(reference.items.contains { $0.hasPrefix("event two-b") })
        #expect(reference.items.contains { $0.hasPrefix("dead truncated-record") })
        #expect(reference.items.contains { $0.hasPrefix("dead missing-time") })
    }

    @Test func countingOnlyCountsTheSameEventsAndDeadLetters() throws {
        let bytes = Array(Self.text(wrapper: true).utf8)
        let built = try Self.items(bytes, chunk: bytes.count)
        let counted = try Self.items(bytes, chunk: bytes.count, countOnly: true)
        let builtEvents = built.items.filter { $0.hasPrefix("event") }.count
        let countedEvents = counted.items.filter { $0.hasPrefix("event") }.count + counted.counts.counted
        #expect(countedEvents == builtEvents)
        #expect(counted.counts.counted >= 60)
        #expect(counted.items.filter { $0.hasPrefix("dead") } == built.items.filter { $0.hasPrefix("dead") })
    }

    @Test func decodingAheadOnAThreadChangesNothing() throws {
        let dir = TestSupport.tempDir()
        var big: [UInt8] = []
        for _ in 0..<30 { big += Array(Self.text(wrapper: false).utf8) }
        let plain = write(big, "mixed.jsonl", in: dir)
        let zst = write(TestSupport.zstd(big), "mixed.jsonl.zst", in: dir)
        let cut = write(Array(TestSupport.zstd(big).dropLast(40)), "cut.jsonl.zst", in: dir)
        for path in [plain, zst, cut] {
            var one: [String] = [], ahead: [String] = []
            var reader = RecordReader(parser: FormatParser(format: nil, keepAllRaw: true), maxRecordBytes: 1 << 20)
            try reader.read(.file(path)) { if let d = Self.describe($0) { one.append(d) } }
            reader.decodeAhead = true
            try reader.read(.file(path)) { if let d = Self.describe($0) { ahead.append(d) } }
            #expect(one.count > 1000)
            #expect(ahead == one, "\(path)")
        }
    }

    @Test func decodingAheadStopsWhenTheConsumerStops() throws {
        let dir = TestSupport.tempDir()
        var big: [UInt8] = []
        for _ in 0..<200 { big += Array(Self.text(wrapper: false).utf8) }
        let path = write(TestSupport.zstd(big), "big.jsonl.zst", in: dir)
        var reader = RecordReader(parser: FormatParser(format: nil), maxRecordBytes: 1 << 20)
        reader.decodeAhead = true
        var seen = 0
        struct Enough: Error {}
        #expect(throws: Enough.self) {
            try reader.read(.file(path)) { _ in seen += 1; if seen == 100 { throw Enough() } }
        }
        #expect(seen == 100)
    }
}
