import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilParsing

/// Every CloudTrail record of the Panther rule tests parses with the principal, action, time and
/// outcome its own fields give (computed here independently from the documented folding rules), and
/// records without a time are dead-lettered as `missing-time`.
@Suite struct CloudTrailFixtureTests {
    /// The documented canonical principal, from Foundation-decoded fields (the oracle).
    static func expectedPrincipal(_ log: [String: Any]) -> String {
        guard let ui = log["userIdentity"] as? [String: Any] else { return "unknown:cloudtrail" }
        let type = ui["type"] as? String ?? ""
        let arn = ui["arn"] as? String ?? ""
        if let r = arn.range(of: ":assumed-role/") {
            let acct = arn[..<r.lowerBound].split(separator: ":", omittingEmptySubsequences: false).last!
            let role = arn[r.upperBound...].split(separator: "/").first.map(String.init) ?? ""
            return "arn:aws:iam::\(acct):role/\(role)"
        }
        if type == "AWSService", let by = ui["invokedBy"] as? String { return "service:" + by }
        if type == "AWSAccount", let a = (ui["accountId"] ?? ui["principalId"]) as? String { return "account:" + a }
        if type == "AssumedRole", let issuer = (ui["sessionContext"] as? [String: Any]).flatMap({ $0["sessionIssuer"] as? [String: Any] })?["arn"] as? String, !issuer.isEmpty {
            return issuer
        }
        if !arn.isEmpty { return arn }
        if type == "Root", let a = ui["accountId"] as? String { return "arn:aws:iam::\(a):root" }
        if type == "IAMUser", let a = ui["accountId"] as? String, let u = ui["userName"] as? String { return "arn:aws:iam::\(a):user/\(u)" }
        if type == "AssumedRole", let p = ui["principalId"] as? String, !p.isEmpty { return "AssumedRole:" + p }
        if let u = ui["userName"] as? String, !u.isEmpty { return "\(type.isEmpty ? "user" : type):\(u)" }
        if let p = ui["principalId"] as? String, !p.isEmpty { return "\(type.isEmpty ? "principal" : type):\(p)" }
        if let by = ui["invokedBy"] as? String, !by.isEmpty { return "service:" + by }
        return "unknown:cloudtrail"
    }

    /// Oracle for event time: `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]`, no zone meaning UTC
    /// (Panther writes `2025-01-21 17:49:47.000000000`), computed with Foundation's calendar.
    static func expectedTime(_ s: String) -> Int64? {
        let re = try! NSRegularExpression(pattern: #"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$"#)
        guard let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
        func g(_ i: Int) -> String? { Range(m.range(at: i), in: s).map { String(s[$0]) } }
        var c = DateComponents()
        c.year = Int(g(1)!); c.month = Int(g(2)!); c.day = Int(g(3)!)
        c.hour = Int(g(4)!); c.minute = Int(g(5)!); c.second = Int(g(6)!)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let d = cal.date(from: c) else { return nil }
        var ms = Int64(d.timeIntervalSince1970) * 1000
        if let f = g(7) { ms += Int64(String((f + "000").prefix(3)))! }
        if let z = g(8), z != "Z" {
            let sign: Int64 = z.hasPrefix("-") ? -1 : 1
            let hh = Int64(z.dropFirst().prefix(2))!, mm = Int64(z.suffix(2))!
            ms -= sign * (hh * 60 + mm) * 60_000
        }
        return ms
    }

    @Test func everyFixtureRecord_parsesToItsOwnPrincipalActionAndTime() throws {
        let rows = try TestSupport.fixture("aws_cloudtrail.rule_tests.jsonl")
        #expect(rows.count > 400)
        var parsed = 0, missingTime = 0, failures: [String] = []
        for row in rows {
            let log = row["log"] as! [String: Any]
            let bytes = Array(try JSONSerialization.data(withJSONObject: log))
            let r = bytes.withUnsafeBytes { CloudTrailParser().parse($0, position: SourcePosition(input: "f", offset: 0, line: 1)) }
            guard let timeText = log["eventTime"] as? String, let time = Self.expectedTime(timeText) else {
                if reason(r) == "missing-time" { missingTime += 1 } else { failures.append("\(row["test_name"]!): expected missing-time") }
                continue
            }
            guard case .event(let e) = r else { failures.append("\(row["test_name"]!): \(reason(r) ?? "")"); continue }
            parsed += 1
            let service = (log["eventSource"] as? String).map { $0.hasSuffix(".amazonaws.com") ? String($0.dropLast(14)) : $0 } ?? "unknown"
            let action = service + ":" + (log["eventName"] as? String ?? "unknown")
            if e.action != action { failures.append("\(row["test_name"]!): action \(e.action) != \(action)") }
            if e.time != time { failures.append("\(row["test_name"]!): time \(e.time) for \(timeText)") }
            let p = Self.expectedPrincipal(log)
            if e.principal != p { failures.append("\(row["test_name"]!): principal \(e.principal) != \(p)") }
            if let id = log["eventID"] as? String, !id.isEmpty, e.id != id { failures.append("\(row["test_name"]!): id") }
            // Outcome: an error code is a denial when authorization refused, else an error; a failed
            // console login is an error.
            let code = log["errorCode"] as? String ?? ""
            let denied = code.contains("AccessDenied") || code.contains("UnauthorizedOperation") || code == "Unauthorized" || code.contains("UnauthorizedAccess") || code == "Forbidden"
            let consoleFailed = ((log["responseElements"] as? [String: Any])?["ConsoleLogin"] as? String) == "Failure"
            let want: Outcome = !code.isEmpty ? (denied ? .denied : .error) : (consoleFailed ? .error : .success)
            if e.outcome != want { failures.append("\(row["test_name"]!): outcome \(e.outcome) != \(want)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        print("CloudTrail fixtures: \(parsed) parsed, \(missingTime) dead-lettered as missing-time, \(failures.count) mismatches of \(rows.count)")
    }
}
