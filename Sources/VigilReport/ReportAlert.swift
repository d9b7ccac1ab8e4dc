import Foundation

/// One `vigil.alert/1` line as the report reads it back from an alerts file.
///
/// Why decode the file rather than re-detect: the report shows exactly the alerts the analyst
/// already has (from replay, tail or a colleague), with their ids and incidents; re-reading the
/// logs only adds what the alert line does not carry (the evidence events' details, the activity).
public struct ReportAlert: Decodable, Sendable {
    public struct Reason: Decodable, Sendable {
        public var feature: String
        public var value: Double
        public var baseline: Double
        public var text: String
    }
    /// The originating actor when identity stitching knows it (`actor` in vigil.alert/1).
    public struct Actor: Decodable, Sendable {
        public var arn: String
        public var chain: [String]?
    }
    public var id: String
    public var incident: String
    public var time: String
    public var principal: String
    public var source: String
    public var score: Double
    public var severity: String
    public var kind: String
    public var attack: [String]
    public var title: String
    public var reasons: [Reason]
    public var events: [String]
    public var eventsTotal: Int
    public var actor: Actor?
    public var rule: String?

    enum CodingKeys: String, CodingKey {
        case id, incident, time, principal, source, score, severity, kind, attack, title, reasons, events, actor, rule
        case eventsTotal = "events_total"
    }

    /// Severity rank, highest first in the report: critical 4 … info 0 (unknown: -1).
    public var severityRank: Int { ["info", "low", "medium", "high", "critical"].firstIndex(of: severity) ?? -1 }

    /// Decodes an alerts file: one alert per line, blank lines skipped; a line that is not an
    /// alert throws `ReportError.badAlert` with its line number.
    public static func decodeLines(_ data: Data) throws -> [ReportAlert] {
        var out: [ReportAlert] = []
        let decoder = JSONDecoder()
        for (n, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
            do { out.append(try decoder.decode(ReportAlert.self, from: Data(line))) } catch {
                throw ReportError.badAlert(line: n + 1, why: Self.explain(error))
            }
        }
        return out
    }
}

extension ReportAlert {
    /// A decoding error in a few words: which field is missing or has the wrong type.
    static func explain(_ error: Error) -> String {
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case DecodingError.keyNotFound(let k, let c): return "no \"\((path(c).isEmpty ? "" : path(c) + ".") + k.stringValue)\" field"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c): return "\"\(path(c))\" has the wrong type"
        case DecodingError.dataCorrupted: return "not JSON"
        default: return "\(error)".prefix(200).description
        }
    }
}

/// Why a report could not be made.
public enum ReportError: Error, CustomStringConvertible {
    case badAlert(line: Int, why: String)

    public var description: String {
        switch self {
        case .badAlert(let n, let why): return "alerts file, line \(n): not a vigil.alert/1 line (\(why))"
        }
    }
}
