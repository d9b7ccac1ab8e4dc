import VigilCore
import VigilNATS

/// The names and numbers router and workers must agree on: streams, subjects, consumers, and the
/// shard of a principal.
public struct ShardLayout: Sendable, Equatable {
    public static let eventsStream = "VIGIL_EVENTS"
    public static let alertsStream = "VIGIL_ALERTS"
    public static let maxShards = 1024

    public let shards: Int

    public init(shards: Int) throws {
        guard (1...Self.maxShards).contains(shards) else {
            throw ClusterError.usage("--shards must be 1…\(Self.maxShards)")
        }
        self.shards = shards
    }

    /// The shard of a principal: FNV-1a 64 of its UTF-8 bytes, mod the shard count. The principal
    /// is the Contract's (a role session is folded into its role), so a role's sessions share a
    /// shard, and the hash is the same in every process and on every machine (Swift's `Hasher` is
    /// seeded per process).
    public func shard(of principal: String) -> Int {
        StableHash.shard(of: principal, shards: shards)
    }

    public static func eventSubject(shard: Int) -> String { "vigil.events.\(shard)" }
    public static func alertSubject(severity: String) -> String { "vigil.alerts.\(severity)" }
    public static func consumer(shard: Int) -> String { "vigil-shard-\(shard)" }

    /// What the stream's description records: JetStream 2.9 (Debian's) has no metadata map.
    public var description: String { "vigil shards=\(shards)" }

    /// The shard count a stream was created with, from its description (nil: not a Vigil stream).
    public static func shards(fromDescription d: String?) -> Int? {
        guard let d, d.hasPrefix("vigil shards=") else { return nil }
        return Int(d.dropFirst("vigil shards=".count))
    }

    /// `VIGIL_EVENTS`, created with this layout, or checked against it when it exists: a stream
    /// made for another shard count would send principals to the wrong workers.
    public func ensureEventsStream(_ js: JetStream, duplicateWindowSeconds: Double, replicas: Int = 1) throws {
        var c = JetStream.StreamConfig(name: Self.eventsStream, subjects: ["vigil.events.>"])
        c.duplicateWindowSeconds = duplicateWindowSeconds
        c.description = description
        c.replicas = replicas
        let info = try js.ensureStream(c)
        guard let n = Self.shards(fromDescription: info.description) else {
            throw ClusterError.usage("stream \(Self.eventsStream) exists but was not made by vigil route (description: \(info.description ?? "none"))")
        }
        guard n == shards else {
            throw ClusterError.usage("stream \(Self.eventsStream) was created with --shards \(n), not \(shards): every router and worker must use the same count (a new count needs a new stream)")
        }
    }

    /// `VIGIL_ALERTS`: each alert once (its id is the `Nats-Msg-Id`).
    public static func ensureAlertsStream(_ js: JetStream, duplicateWindowSeconds: Double, replicas: Int = 1) throws {
        var c = JetStream.StreamConfig(name: alertsStream, subjects: ["vigil.alerts.>"])
        c.duplicateWindowSeconds = duplicateWindowSeconds
        c.description = "vigil alerts"
        c.replicas = replicas
        try js.ensureStream(c)
    }
}

/// Errors of the scale-out commands, worded for the person running them.
public enum ClusterError: Error, CustomStringConvertible {
    case usage(String)
    case wire(String)

    public var description: String {
        switch self {
        case .usage(let s): return s
        case .wire(let s): return "bad message on the events stream: \(s)"
        }
    }
}
