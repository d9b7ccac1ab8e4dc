import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilParsing

/// Any JSON-lines source through a mapping file: the shipped example maps Okta System Log records.
@Suite struct MappedParserTests {
    static func mapping() throws -> FieldMapping {
        try JSONDecoder().decode(FieldMapping.self, from: Data(TestSupport.read(TestSupport.packageRoot + "/Models/mapping-example.json")))
    }

    @Test func oktaFixtures_parseThroughTheExampleMapping() throws {
        let parser = MappedParser(mapping: try Self.mapping())
        var parsed = 0, timeless = 0, wrong: [String] = []
        for row in try TestSupport.fixture("okta_system_log.rule_tests.jsonl") {
            let log = row["log"] as! [String: Any]
            let bytes = Array(try JSONSerialization.data(withJSONObject: log))
            let r = bytes.withUnsafeBytes { parser.parse($0, position: SourcePosition(input: "okta", offset: 0, line: 1)) }
            let actor = log["actor"] as? [String: Any]
            let want = (actor?["alternateId"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? (actor?["id"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "unknown:mapped"
            switch r {
            case .event(let e):
                if e.principal != want || e.action != (log["eventType"] as? String ?? "unknown") { wrong.append("\(row["test_name"]!)") } else { parsed += 1 }
            case .bad(let why):
                if why == "missing-time" && (log["published"] as? String).flatMap(EventTime.parse) == nil { timeless += 1 } else { wrong.append("\(row["test_name"]!): \(why)") }
            }
        }
        print("Okta via mapping: \(parsed) parsed, \(timeless) without time, \(wrong.count) wrong")
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(parsed > 50)
    }

    @Test func mapping_readsEpochTimesOutcomesAndFallbackPrincipals() throws {
        let m = try JSONDecoder().decode(FieldMapping.self, from: Data(#"{"time":"ts","timeFormat":"epoch-seconds","principal":["who.email","who.id"],"action":"what","bytesOut":"n","outcome":{"field":"res","denied":["DENY"]}}"#.utf8))
        let rec = #"{"ts":1700000000.5,"who":{"id":"u-7"},"what":"download","n":1024,"res":"DENY"}"#
        guard case .event(let e) = Array(rec.utf8).withUnsafeBytes({ MappedParser(mapping: m).parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }) else {
            Issue.record("did not parse"); return
        }
        #expect(e.time == 1_700_000_000_500)
        #expect(e.principal == "u-7")
        #expect(e.action == "download")
        #expect(e.bytesOut == 1024)
        #expect(e.outcome == .denied)
        #expect(e.source == .mapped)
    }

    @Test func mapping_rejectsUnknownKeysAndMissingFields() {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(FieldMapping.self, from: Data(#"{"time":"t","principal":"p","action":"a","colour":"x"}"#.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(FieldMapping.self, from: Data(#"{"time":"t","action":"a"}"#.utf8)) }
    }
}
