import VigilCore

/// Ground truth for `vigil eval`: CSV with header `eventID,label,scenario`.
public struct Labels: Sendable {
    /// Attack event ID → scenario name.
    public var attacks: [String: String] = [:]
    public var scenarios: Set<String> { Set(attacks.values) }

    public init() {}

    /// Parses the CSV (RFC 4180 quoting). Unlisted events are benign; `benign` rows are accepted.
    public static func parse(_ text: String) throws -> Labels {
        var out = Labels()
        var lines = text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" }.makeIterator()
        guard let header = lines.next() else { throw ConfigError.invalid("labels file is empty") }
        let cols = splitCSV(String(header)).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let idCol = cols.firstIndex(of: "eventID"), let labelCol = cols.firstIndex(of: "label"),
              let scenCol = cols.firstIndex(of: "scenario") else {
            throw ConfigError.invalid("labels header must be eventID,label,scenario (got \(cols.joined(separator: ",")))")
        }
        var n = 1
        while let raw = lines.next() {
            n += 1
            let f = splitCSV(String(raw))
            guard f.count > max(idCol, labelCol, scenCol) else { throw ConfigError.invalid("labels line \(n): expected \(cols.count) fields") }
            switch f[labelCol] {
            case "attack": out.attacks[f[idCol]] = f[scenCol]
            case "benign": break
            default: throw ConfigError.invalid("labels line \(n): label must be attack or benign, got \(f[labelCol])")
            }
        }
        return out
    }

    static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = []
        var cur = ""
        var quoted = false
        var it = line.makeIterator()
        while let c = it.next() {
            if quoted {
                if c == "\"" {
                    var peek = it
                    if peek.next() == "\"" { cur.append("\""); _ = it.next() } else { quoted = false }
                } else { cur.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { fields.append(cur); cur = "" } else { cur.append(c) }
        }
        fields.append(cur)
        return fields
    }
}

/// Scores alerts against labels exactly as the Contract defines `eval`.
public struct Evaluation {
    public let labels: Labels
    var attackEventsSeen = 0
    var detected: [String: Int] = [:]         // scenario → alerts whose evidence holds its events
    var incidentHasAttack: [String: Bool] = [:]
    var incidentOrder: [String] = []
    var alerts = 0
    var bySeverity: [String: Int] = [:]

    public init(labels: Labels) { self.labels = labels }

    public mutating func observe(_ e: AccessEvent) {
        if labels.attacks[e.id] != nil { attackEventsSeen += 1 }
    }

    public mutating func add(_ a: Alert) {
        alerts += 1
        bySeverity[a.finding.severity.name, default: 0] += 1
        var hit = false
        var scen = Set<String>()
        for id in a.finding.events {
            if let s = labels.attacks[id] { hit = true; scen.insert(s) }
        }
        for s in scen { detected[s, default: 0] += 1 }
        if incidentHasAttack[a.incident] == nil { incidentOrder.append(a.incident) }
        incidentHasAttack[a.incident] = (incidentHasAttack[a.incident] ?? false) || hit
    }

    /// The summary JSON (one line).
    public func report(events: Int) -> String {
        let scenarios = labels.scenarios.sorted()
        let found = scenarios.filter { detected[$0] != nil }
        let benign = max(0, events - attackEventsSeen)
        let falseIncidents = incidentHasAttack.values.filter { !$0 }.count
        let recall = scenarios.isEmpty ? 0 : Double(found.count) / Double(scenarios.count)
        let fpk = benign > 0 ? 1000 * Double(falseIncidents) / Double(benign) : 0
        var o = "{\"events\":\(events),\"benign_events\":\(benign),\"attack_events\":\(attackEventsSeen)"
        o += ",\"scenarios\":\(scenarios.count),\"scenarios_detected\":\(found.count),\"recall\":" + JSONText.fixed(recall, digits: 4)
        o += ",\"alerts\":\(alerts),\"incidents\":\(incidentHasAttack.count),\"false_incidents\":\(falseIncidents)"
        o += ",\"false_incidents_per_1000\":" + JSONText.fixed(fpk, digits: 4)
        o += ",\"missed\":[" + scenarios.filter { detected[$0] == nil }.map(JSONText.quoted).joined(separator: ",") + "]"
        o += ",\"per_scenario\":{" + scenarios.map { "\(JSONText.quoted($0)):\(detected[$0] ?? 0)" }.joined(separator: ",") + "}"
        o += ",\"alerts_by_severity\":{" + bySeverity.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\($0.value)" }.joined(separator: ",") + "}}"
        return o
    }
}

import Foundation
