import VigilCore

/// The detector's open state as a value: burst windows, open anomaly findings, open incidents and
/// counters — what a restart needs to raise exactly the alerts an uninterrupted run would.
/// Versioned and Codable; rules are not part of it (they are data loaded at start, and a snapshot is
/// refused when its rule IDs no longer match).
public struct DetectorSnapshot: Codable, Sendable {
    public static let currentVersion = 1
    public var version = DetectorSnapshot.currentVersion
    var ruleIDs: [String]
    var bursts: [BurstEntry]
    var anomalyOpen: [String: Int64]
    var incidents: [String: IncidentState]
    var newest: Int64
    var sincePrune: Int
    /// Compute credentials and their networks (absent in snapshots written before it existed).
    var credentials: CredentialBinding?
    /// Log sources watched for silence (absent in snapshots written before it existed).
    var silence: SilenceWatch?
    /// Cold-start alerts per young principal (absent in snapshots written before it existed).
    var coldStart: ColdStartWatch?
    /// Folded evidence awaiting its update alerts (absent in snapshots written before it existed).
    var updates: IncidentUpdates?
    /// Suspect principals' high-impact calls alerted (absent in snapshots written before it existed).
    var suspectCalls: [String: [UInt64]]?
    public var counters: DetectorCounters

    /// Burst state keyed by rule ID (not index), so snapshots read the same after rules are reordered.
    struct BurstEntry: Codable, Sendable {
        var rule: String
        var principal: String
        var state: BurstState
    }
}

extension Detector {
    /// Captures the open state, in a stable order.
    public func snapshot() -> DetectorSnapshot {
        let entries = bursts.map { DetectorSnapshot.BurstEntry(rule: rules.rules[$0.key.rule].id, principal: $0.key.principal, state: $0.value) }
            .sorted { $0.rule != $1.rule ? $0.rule < $1.rule : $0.principal < $1.principal }
        return DetectorSnapshot(ruleIDs: rules.rules.map(\.id), bursts: entries, anomalyOpen: anomalyOpen, incidents: incidents,
                                newest: newest, sincePrune: sincePrune, credentials: credentials, silence: silence, coldStart: coldStart,
                                updates: updates, suspectCalls: suspectCalls, counters: counters)
    }

    /// Restores a detector; throws when the snapshot's version or rules do not match.
    public init(config: DetectorConfig, rules: RuleSet, snapshot s: DetectorSnapshot) throws {
        guard s.version == DetectorSnapshot.currentVersion else {
            throw ConfigError.invalid("detector snapshot version \(s.version) is not supported")
        }
        self.init(config: config, rules: rules)
        let index = Dictionary(uniqueKeysWithValues: rules.rules.enumerated().map { ($0.element.id, $0.offset) })
        for e in s.bursts {
            // A Sigma rule removed since the snapshot takes its open burst state with it (users add
            // and drop community rules between restarts); a built-in rule must still be there.
            if index[e.rule] == nil && e.rule.hasPrefix("sigma:") { continue }
            guard let i = index[e.rule] else { throw ConfigError.invalid("detector snapshot names rule \(e.rule), which is not loaded") }
            bursts[BurstKey(rule: i, principal: e.principal)] = e.state
        }
        anomalyOpen = s.anomalyOpen
        rebuildAnomalyFilter()
        incidents = s.incidents
        newest = s.newest
        sincePrune = s.sincePrune
        credentials = s.credentials ?? CredentialBinding()
        silence = s.silence ?? SilenceWatch()
        coldStart = s.coldStart ?? ColdStartWatch()
        updates = s.updates ?? IncidentUpdates()
        suspectCalls = s.suspectCalls ?? [:]
        counters = s.counters
    }
}
