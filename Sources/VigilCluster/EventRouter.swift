import VigilCore
import VigilIdentity
import VigilNATS
import VigilPipeline

/// `vigil route`'s end of the pipeline: every event, read, de-duplicated and stitched by the engine
/// (`Engine.route`), goes to `vigil.events.<shard>` with `Nats-Msg-Id` = its id.
///
/// Why the router stitches: a role session's actor is known only from the `AssumeRole` that minted
/// its credentials, which another principal made and another shard would see. So the one reader of
/// the whole organisation follows credentials, and stamps `actor` on each event before sharding.
///
/// Safety: a checkpoint of the router's reading positions (and stitching state) is written only
/// after JetStream has acknowledged every message before it (`StateSession.beforeSave`). A router
/// killed and restarted re-reads from that checkpoint, stitches the same way, and publishes the same
/// messages with the same ids, which the stream's duplicate window drops.
public final class EventRouter {
    public let layout: ShardLayout
    let publisher: JetStreamPublisher
    /// Events published per shard (acknowledged or waiting for it).
    public private(set) var perShard: [Int]

    public init(connection: NATSConnection, layout: ShardLayout) throws {
        self.layout = layout
        publisher = try JetStreamPublisher(connection)
        perShard = Array(repeating: 0, count: layout.shards)
    }

    /// Messages JetStream stored, and those it recognised as already stored (a restart's re-read).
    public var stored: Int { publisher.stored }
    public var duplicates: Int { publisher.duplicates }

    /// Makes `engine` a router: raw bytes kept on every event, events handed here instead of
    /// detection, and checkpoints held back until what they cover is acknowledged.
    public func attach(to engine: Engine, session: StateSession?) {
        engine.keepAllRaw = true
        engine.route = { [unowned self] e, reach in try self.publish(e, reach: reach) }
        session?.beforeSave = { [unowned self] in try self.publisher.drain() }
    }

    func publish(_ e: AccessEvent, reach: RoleReach?) throws {
        guard let raw = e.raw else { throw ClusterError.wire("event \(e.id) has no raw record to route") }
        let k = layout.shard(of: e.principal)
        perShard[k] += 1
        try publisher.publish(ShardLayout.eventSubject(shard: k), msgID: e.id,
                              headers: EventWire.headers(for: e, reach: reach), payload: raw)
    }

    /// Sends what is buffered without waiting for acknowledgements (after each pass over followed
    /// inputs, so a new log line reaches its worker at once).
    public func flush() throws { try publisher.flush() }

    /// Waits until JetStream has acknowledged everything published.
    public func finish() throws { try publisher.drain() }
}
