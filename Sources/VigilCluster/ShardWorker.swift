import Foundation
import VigilCore
import VigilNATS
import VigilParsing
import VigilPipeline

/// `vigil worker`: consumes one shard of `VIGIL_EVENTS` in stream order and runs each event through
/// baseline → scorer → detector → responders, as `vigil tail` does; alerts also go to
/// `VIGIL_ALERTS` with `Nats-Msg-Id` = the alert id.
///
/// Exactly once, under kill -9:
/// - The checkpoint (model, detector, alerts-file length) records the last stream sequence it covers.
///   Before it is written, every alert published so far is acknowledged by JetStream
///   (`StateSession.beforeSave`); once it is on disk, that message is acknowledged (AckAll: it and
///   every earlier one).
/// - At start, and after a lost connection, the durable consumer is created afresh from the sequence
///   after the checkpoint's. Why: JetStream would redeliver unacknowledged messages only after
///   `ack_wait`, behind newer ones, and a shard must be processed in stream order to give the alerts
///   of a replay. Anything delivered twice anyway (an early redelivery) is skipped by sequence.
/// - Alerts re-raised after a restart carry the same ids (they are deterministic): the stream's
///   duplicate window drops them, and `--alerts FILE` was cut back to what the checkpoint covers.
public final class ShardWorker {
    public struct Options: Sendable {
        public var shard: Int
        /// Messages asked for per fetch.
        public var batch = 512
        /// Events processed before a checkpoint is forced (the unacknowledged messages at most, so
        /// `max_ack_pending` is sized from it).
        public var checkpointEvents = 20_000
        /// How long a delivered message may stay unacknowledged before JetStream redelivers it:
        /// well above the time to process and checkpoint `checkpointEvents`.
        public var ackWaitSeconds = 120.0
        /// JetStream's `max_ack_pending` for the consumer (nil: 8 checkpoint batches and 4 fetches).
        public var maxAckPending: Int?
        /// Seconds a fetch waits for messages.
        public var fetchSeconds = 0.5
        /// Stop once the shard has been empty this long (nil: run until stopped).
        public var exitWhenIdle: Double?

        public init(shard: Int) { self.shard = shard }
    }

    public let layout: ShardLayout
    public let options: Options
    let js: JetStream
    let engine: Engine
    let session: StateSession
    let alerts: JetStreamPublisher
    /// The checkpoint's key for this stream and shard.
    public let positionKey: String
    private var lastProcessed: UInt64 = 0
    private var lastReply: String?
    /// Checkpoints submitted and not yet acknowledged: (last sequence, its ack subject, messages
    /// processed up to it).
    private var toAck: [(sequence: UInt64, reply: String, processed: Int)] = []
    /// Messages processed, and how many of them the last acknowledgement covered: the difference
    /// is what JetStream counts against `max_ack_pending`.
    private var processed = 0
    private var processedAcked = 0
    private var parsers: [SourceFormat: FormatParser] = [:]
    /// Polled between messages; true ends the run after a final checkpoint.
    public var stopRequested: () -> Bool = { false }
    public private(set) var skipped = 0
    public private(set) var consumerRestarts = 0

    public init(js: JetStream, layout: ShardLayout, options: Options, engine: Engine, session: StateSession) throws {
        guard (0..<layout.shards).contains(options.shard) else {
            throw ClusterError.usage("--shard must be 0…\(layout.shards - 1) for --shards \(layout.shards)")
        }
        self.js = js
        self.layout = layout
        self.options = options
        self.engine = engine
        self.session = session
        let key = "nats:\(ShardLayout.eventsStream)/\(ShardLayout.eventSubject(shard: options.shard))"
        positionKey = key
        if let other = session.streamKeys.first(where: { $0 != key }) {
            throw ClusterError.usage("\(session.directory.path) holds the state of \(other.dropFirst(5)), not of shard \(options.shard): each worker needs its own --state directory")
        }
        let publisher = try JetStreamPublisher(js.connection)
        alerts = publisher
        session.beforeSave = { try publisher.drain() }
    }

    /// Publishes one alert (its JSON line, as `--alerts` writes it) to `vigil.alerts.<severity>`.
    public func publish(_ a: Alert, line: String) throws {
        try alerts.publish(ShardLayout.alertSubject(severity: a.finding.severity.name), msgID: a.id, payload: Array(line.utf8))
    }

    /// Alerts JetStream stored, and those it dropped as already stored (re-raised after a restart).
    public var alertsStored: Int { alerts.stored }
    public var alertsDuplicate: Int { alerts.duplicates }

    var consumerConfig: JetStream.ConsumerConfig {
        var c = JetStream.ConsumerConfig(durable: ShardLayout.consumer(shard: options.shard))
        c.filterSubject = ShardLayout.eventSubject(shard: options.shard)
        c.ackWaitSeconds = options.ackWaitSeconds
        // Room for the checkpoint being written while the next batch is processed (writing a large
        // model takes seconds): a worker reaching the limit waits for its checkpoint instead.
        c.maxAckPending = options.maxAckPending ?? 8 * options.checkpointEvents + 4 * options.batch
        c.startSequence = lastProcessed + 1
        return c
    }

    /// Runs until stopped, or until the shard has been empty for `exitWhenIdle`. `flush` is called
    /// after every batch (alerts leave promptly); a final checkpoint is written on the way out.
    public func run(emit: @escaping (Alert) throws -> Void, deadLetter: @escaping (DeadLetter) throws -> Void,
                    flush: () throws -> Void) throws {
        lastProcessed = session.streamPosition(positionKey) ?? 0
        try js.restartConsumer(stream: ShardLayout.eventsStream, consumerConfig)
        var reconnects = js.connection.reconnects
        let started = Engine.monotonicSeconds()
        var idleSince = started
        defer {
            engine.account(seconds: Engine.monotonicSeconds() - started)
            engine.finishStats()
        }
        engine.stopRequested = stopRequested
        while !(stopRequested() || engine.stopped) {
            var batch: [JetStreamMessage] = []
            do {
                batch = try js.fetch(stream: ShardLayout.eventsStream, consumer: ShardLayout.consumer(shard: options.shard),
                                     batch: options.batch, expires: options.fetchSeconds)
            } catch NATSError.disconnected {}
            if js.connection.reconnects != reconnects {
                // A lost connection may have lost deliveries in flight: start again after the last
                // processed message, in order.
                reconnects = js.connection.reconnects
                consumerRestarts += 1
                try js.restartConsumer(stream: ShardLayout.eventsStream, consumerConfig)
                // The new consumer starts with nothing pending; the old one's ack subjects are void.
                toAck.removeAll()
                processedAcked = processed
                continue
            }
            let now = Engine.monotonicSeconds()
            if batch.isEmpty {
                if processed - processedAcked + options.batch >= consumerConfig.maxAckPending {
                    // Not idle: JetStream holds messages back until these are acknowledged.
                    try acknowledgeAllProcessed()
                    idleSince = Engine.monotonicSeconds()
                    continue
                }
                // Caught up: checkpoint on the usual schedule only (a checkpoint of a large model
                // costs about a second; a worker that keeps catching up with its router must not
                // write one per empty fetch).
                if session.due { try checkpoint(wait: false) }
                try acknowledgeDurable()
                if let idle = options.exitWhenIdle, now - idleSince >= idle { break }
                continue
            }
            idleSince = now
            for m in batch {
                let seq = m.metadata.streamSequence
                guard seq > lastProcessed else { skipped += 1; continue }
                switch EventWire.decode(m.message, parser: parser(for:)) {
                case .event(let e, let reach): try engine.processRouted(e, reach: reach, emit: emit)
                case .bad(let d): try engine.deadLetterRouted(d, deadLetter)
                }
                lastProcessed = seq
                processed += 1
                lastReply = m.message.reply
                session.noteStream(positionKey, sequence: seq)
                if engine.stopped { break }
            }
            try flush()
            try alerts.flush()   // alerts reach VIGIL_ALERTS after each batch, not at the next checkpoint
            if session.due || session.unsavedRecords >= options.checkpointEvents { try checkpoint(wait: false) }
            try acknowledgeDurable()
            if processed - processedAcked + options.batch > consumerConfig.maxAckPending {
                // The next fetch would be held back at max_ack_pending: make the checkpoint that
                // lets these be acknowledged now, rather than wait out an empty fetch.
                try acknowledgeAllProcessed()
            }
        }
        try flush()
        try checkpoint(wait: true)
        try acknowledgeDurable()
        try js.connection.flush()
    }

    private func parser(for format: SourceFormat) -> FormatParser {
        if let p = parsers[format] { return p }
        let p = engine.parser(for: format)
        parsers[format] = p
        return p
    }

    /// Saves a checkpoint tagged with the last processed sequence (alerts drained first, by the
    /// session's `beforeSave`).
    private func checkpoint(wait: Bool) throws {
        try session.save(engine, wait: wait, tag: lastProcessed)
        if let r = lastReply, toAck.last?.sequence != lastProcessed { toAck.append((lastProcessed, r, processed)) }
    }

    /// Puts everything processed on disk (a checkpoint now, or the one being written) and
    /// acknowledges it: what a worker held back at `max_ack_pending` needs.
    private func acknowledgeAllProcessed() throws {
        if session.unsavedRecords > 0 { try checkpoint(wait: true) } else { try session.waitForCheckpoints() }
        try acknowledgeDurable()
    }

    /// Acknowledges (AckAll) the newest message a checkpoint on disk covers.
    private func acknowledgeDurable() throws {
        guard let onDisk = session.durableTag else { return }
        var reply: String?
        while let first = toAck.first, first.sequence <= onDisk {
            reply = first.reply
            processedAcked = first.processed
            toAck.removeFirst()
        }
        if let reply { try js.connection.publish(reply, payload: Array("+ACK".utf8)) }
    }
}
