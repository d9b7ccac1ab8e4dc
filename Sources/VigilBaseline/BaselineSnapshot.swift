import VigilCore

/// The baseline as a value: versioned and Codable, for model files and state directories.
public struct BaselineSnapshot: Codable, Sendable {
    public static let currentVersion = 1
    public var version = BaselineSnapshot.currentVersion
    public var config: BaselineConfig
    /// Live principals, each pool least recently seen first (identified, then anonymous), so a
    /// restored baseline evicts in the same order as the run that wrote it.
    var principals: [String]
    var states: [PrincipalState]
    /// Compact forms, oldest eviction first (absent in snapshots of earlier versions).
    var dormant: [String]?
    var dormantStates: [DormantPrincipal]?
    public var counters: BaselineCounters
}

extension Baseline {
    /// Captures every live principal in recency order, and the compact forms in eviction order.
    public func snapshot() -> BaselineSnapshot {
        let live = recency.flatMap { $0.ordered(links) }
        let kept = dormant.inOrder
        return BaselineSnapshot(config: config, principals: live.map { names[$0] }, states: live.map { states[$0] },
                                dormant: kept.map(\.name), dormantStates: kept.map(\.record),
                                counters: counters)
    }

    /// Restores a baseline; throws when the snapshot's version is not understood.
    public init(snapshot s: BaselineSnapshot) throws {
        guard s.version == BaselineSnapshot.currentVersion else {
            throw ConfigError.invalid("baseline snapshot version \(s.version) is not supported")
        }
        guard s.principals.count == s.states.count, (s.dormant?.count ?? 0) == (s.dormantStates?.count ?? 0) else {
            throw ConfigError.invalid("baseline snapshot is inconsistent")
        }
        self.init(config: s.config)
        for (i, p) in s.principals.enumerated() {
            let pool = PrincipalPool.of(p)
            index.insert(StableHash.fnv1a(p), i)
            names.append(p)
            states.append(s.states[i])
            pools.append(UInt8(pool.rawValue))
            links.append(RecencyList.Link(previous: -1, next: -1))
            costs.append(0)
            changes.grow()
            recency[pool.rawValue].append(i, &links)
            changes.touched(i)
            account(i, s.states[i])
        }
        for (p, d) in zip(s.dormant ?? [], s.dormantStates ?? []) {
            dormant.insert(p, key: StableHash.fnv1a(p), d)
            generation = max(generation, d.generation)
            accountedBytes += d.accountedBytes
        }
        counters = s.counters
    }
}
