import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilParsing

/// S3 server access lines: the span fast path and the full tokenizer give the same event for every
/// line the fast path takes (keys included), and the fast path takes ordinary lines. Corpora:
/// every line of SampleLogs' access log, the documented line shapes, and mutations aimed at the
/// tokenizer's corners (quotes, brackets, missing trailing fields, odd hosts, requesters, times).
@Suite struct S3AccessFastPathTests {
    static let parser = S3AccessParser(keepAllRaw: true)
    static let position = SourcePosition(input: "t", offset: 0, line: 1)

    static func describe(_ r: ParseResult) -> String {
        switch r {
        case .bad(let reason): return "bad \(reason)"
        case .event(var e):
            if e.keys == nil { e.stampKeys() }
            return "\(e)"
        }
    }

    /// Whether the fast path took `line`; fails when it disagrees with the full parser, with or
    /// without a shared table, or when `parse` (fast, then full) does.
    @discardableResult
    static func compare(_ line: String, _ label: String, symbols: SymbolTable) -> Bool {
        Array(line.utf8).withUnsafeBytes { b in
            let full = describe(parser.parseFull(b, position: position))
            #expect(describe(parser.parse(b, position: position)) == full, "parse differs on \(label)")
            guard let fast = parser.parseFast(b, position: position) else { return false }
            #expect(describe(fast) == full, "fast path differs on \(label): \(line.prefix(300))")
            #expect(parser.parseFast(b, position: position, symbols: symbols).map(describe) == full, "with a table, on \(label)")
            return true
        }
    }

    static let documented = [
        S3AccessParserTests.line(requester: "arn:aws:iam::123456789012:user/alice", op: "REST.GET.OBJECT", key: "photos/a.jpg", status: 200),
        S3AccessParserTests.line(requester: "-", op: "REST.GET.OBJECT", key: "index.html", status: 403, error: "AccessDenied"),
        S3AccessParserTests.line(requester: "arn:aws:sts::123456789012:assumed-role/data-reader/i-0abc", op: "REST.PUT.ACL", key: "-", status: 200),
        S3AccessParserTests.line(requester: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", op: "REST.GET.ACL", key: "a", status: 200),
        S3AccessParserTests.line(requester: "svc.amazonaws.com", op: "BATCH.DELETE.OBJECT", key: "k", status: 204, trailing: false),
        S3AccessParserTests.line(requester: "arn:aws:iam::123456789012:root", op: "REST.PUT.BUCKETPOLICY", key: "-", status: 500, bytes: "-"),
    ]

    @Test func sampleLogsAndDocumentedLinesTakeTheFastPathAndAgree() throws {
        let text = TestSupport.unzstd(try TestSupport.read(TestSupport.packageRoot + "/SampleLogs/logs/s3-access.log.zst"))
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init) + Self.documented
        #expect(lines.count > 9_000)
        let symbols = SymbolTable(maxEntries: 200, maxBytes: 16 << 10)
        let fast = lines.enumerated().filter { Self.compare($0.element, "line \($0.offset + 1)", symbols: symbols) }.count
        #expect(fast == lines.count, "fast path took \(fast) of \(lines.count)")
        #expect(symbols.resets > 0)
    }

    @Test func mutatedLinesAgreeWhereverTheFastPathTakesThem() {
        let edits: [(String) -> String] = [
            { $0.replacingOccurrences(of: "\"aws-cli", with: "\"aws\\\"cli") },                 // escaped quote: refused
            { $0.replacingOccurrences(of: "aws-cli", with: "awś-cli") },                        // non-ASCII: refused
            { $0.replacingOccurrences(of: " +0000]", with: " -0130]") },
            { $0.replacingOccurrences(of: "[06/Feb/2019", with: "[06/Fex/2019") },
            { $0.replacingOccurrences(of: "[06/Feb/2019:00:00:38", with: "[6/Feb/2019:00:00:388") },
            { $0.replacingOccurrences(of: " +0000]", with: " +0000") },                         // unclosed bracket
            { $0.replacingOccurrences(of: "\"GET /", with: "\"GET  /") },
            { String($0.prefix { $0 != "\"" }) + "\"unterminated" },
            { $0.replacingOccurrences(of: " 200 ", with: " +200 ") },
            { $0.replacingOccurrences(of: " 200 ", with: " 2x0 ") },
            { $0.replacingOccurrences(of: " 113 ", with: " 1e3 ") },
            { $0.replacingOccurrences(of: "3E57427F3EXAMPLE", with: "-") },
            { $0.replacingOccurrences(of: " 192.0.2.3 ", with: " - ") },
            { $0.replacingOccurrences(of: "REST.", with: "SOAP.") },
            { $0.replacingOccurrences(of: ".s3.us-west-1.amazonaws.com", with: "..s3..us-west-1..amazonaws.com") },
            { $0.replacingOccurrences(of: ".s3.us-west-1.amazonaws.com", with: ".s3-website.uswest1.amazonaws.com") },
            { $0.replacingOccurrences(of: ".s3.us-west-1.amazonaws.com", with: ".s3.us-west-1") },
            { $0.replacingOccurrences(of: "awsexamplebucket1.s3", with: "s3x.s3") },
            { $0 + "\r" },
            { "  " + $0.replacingOccurrences(of: " ", with: "   ") },
            { $0.replacingOccurrences(of: " - - -", with: "") },
            { $0.replacingOccurrences(of: "\"-\"", with: "\"\"") },
            { String(repeating: "x ", count: 70) + $0 },
            { $0 + String(repeating: " é", count: 70) },
            { $0.replacingOccurrences(of: "arn:aws:iam::123456789012:user/alice", with: "arn:aws:iam::123456789012:user/") },
            { $0.replacingOccurrences(of: "data-reader/i-0abc", with: "data-reader") },
            { String($0.prefix(80)) },
        ]
        let symbols = SymbolTable(maxEntries: 20, maxBytes: 2048)
        var taken = 0, tried = 0
        for (i, line) in Self.documented.enumerated() {
            for (k, edit) in edits.enumerated() {
                tried += 1
                if Self.compare(edit(line), "line \(i) edit \(k)", symbols: symbols) { taken += 1 }
            }
            // Byte damage at every third position, with the tokenizer's own delimiters (and a NUL).
            var bytes = Array(line.utf8)
            let damage: [UInt8] = [32, 34, 91, 93, 45, 10, 13, 46, 47, 0]
            for at in stride(from: i % 3, to: bytes.count, by: 3) {
                let saved = bytes[at]
                bytes[at] = damage[(at / 3) % damage.count]
                tried += 1
                if Self.compare(String(decoding: bytes, as: UTF8.self), "line \(i) damaged at \(at)", symbols: symbols) { taken += 1 }
                bytes[at] = saved
            }
        }
        #expect(taken * 10 >= tried * 7, "fast path took \(taken) of \(tried)")
    }
}
