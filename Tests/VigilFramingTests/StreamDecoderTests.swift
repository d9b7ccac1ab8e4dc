import Testing
import VigilCore
import VigilTestSupport
@testable import VigilFraming

/// Decodes `input` in chunks; returns the output and the error, if any.
func decode(_ input: [UInt8], chunk: Int = 1000) -> ([UInt8], FramingError?) {
    let d = StreamDecoder()
    var out: [UInt8] = []
    var i = 0
    do {
        repeat {
            let end = min(input.count, i + chunk)
            try input[i..<end].withUnsafeBytes { try d.decode($0, final: end == input.count) { out.append(contentsOf: $0) } }
            i = end
        } while i < input.count
    } catch let e as FramingError {
        return (out, e)
    } catch {
        return (out, .corrupt(format: "?", detail: "\(error)"))
    }
    return (out, nil)
}

@Suite struct StreamDecoderTests {
    let text = Array((0..<2000).map { "{\"eventID\":\"\($0)\",\"eventName\":\"GetObject\"}\n" }.joined().utf8)

    @Test func decode_whenPlain_passesBytesThrough() {
        let (out, err) = decode(text, chunk: 3)
        #expect(err == nil)
        #expect(out == text)
    }

    @Test func decode_whenMultiMemberGzip_decodesEveryMember() {
        let half = text.count / 2
        let gz = TestSupport.gzip(Array(text[0..<half])) + TestSupport.gzip(Array(text[half...]))
        for chunk in [1, 17, 4096, gz.count] {
            let (out, err) = decode(gz, chunk: chunk)
            #expect(err == nil)
            #expect(out == text, "chunk \(chunk)")
        }
    }

    @Test func decode_whenZstd_decodes() {
        let (out, err) = decode(TestSupport.zstd(text), chunk: 333)
        #expect(err == nil)
        #expect(out == text)
    }

    @Test func decode_whenGzipTruncated_reportsTruncatedAfterDecodedPrefix() {
        let gz = TestSupport.gzip(text)
        let (out, err) = decode(Array(gz[0..<(gz.count / 2)]))
        #expect(err == .truncated(format: "gzip"))
        #expect(out.count > 0 && out.count < text.count)
        #expect(Array(text[0..<out.count]) == out)
    }

    @Test func decode_whenZstdTruncated_reportsTruncated() {
        let z = TestSupport.zstd(text)
        let (_, err) = decode(Array(z[0..<(z.count - 10)]))
        #expect(err == .truncated(format: "zstd"))
    }

    @Test func decode_whenGzipCorrupt_reportsCorrupt() {
        var gz = TestSupport.gzip(text)
        for i in 20..<60 { gz[i] ^= 0x5a }
        let (_, err) = decode(gz)
        #expect(err?.reason == "corrupt-input")
    }
}
