import VigilCore

/// The baseline as a value: versioned and Codable, for model files and state directories.
public struct BaselineSnapshot: Codable, Sendable {
    public static let currentVersion = 1
    public var version = BaselineSnapshot.currentVersion
    public var config: BaselineConfig
    var principals: [String]
    var states: [PrincipalState]
    public var counters: BaselineCounters
}

extension Baseline {
    /// Captures every live principal, in a stable (sorted) order.
    public func snapshot() -> BaselineSnapshot {
        let live = index.sorted { $0.key < $1.key }
        return BaselineSnapshot(config: config, principals: live.map(\.key), states: live.map { states[$0.value] },
                                counters: counters)
    }

    /// Restores a baseline; throws when the snapshot's version is not understood.
    public init(snapshot s: BaselineSnapshot) throws {
        guard s.version == BaselineSnapshot.currentVersion else {
            throw ConfigError.invalid("baseline snapshot version \(s.version) is not supported")
        }
        guard s.principals.count == s.states.count else { throw ConfigError.invalid("baseline snapshot is inconsistent") }
        self.init(config: s.config)
        for (i, p) in s.principals.enumerated() {
            index[p] = i
            names.append(p)
            states.append(s.states[i])
        }
        counters = s.counters
    }
}
