import Foundation

/// JetStream, NATS's persistent log, through its `$JS.API` request subjects: streams, durable pull
/// consumers, publishing with acknowledgement and deduplication, fetching batches and acknowledging.
///
/// Why pull consumers with AckAll: a Vigil worker processes its shard in stream order and checkpoints
/// every so often; acknowledging the last message a checkpoint covers acknowledges everything before
/// it, so a worker killed between checkpoints gets exactly the unacknowledged tail again.
public struct JetStream: Sendable {
    public let connection: NATSConnection
    public var timeout: Double

    public init(_ connection: NATSConnection, timeout: Double = 5) {
        self.connection = connection
        self.timeout = timeout
    }

    /// A stream: its name, subjects, file storage, and how long `Nats-Msg-Id`s are remembered for
    /// deduplication (nanoseconds on the wire). `description` carries what workers check (the shard
    /// count); JetStream 2.9 has no stream metadata map.
    public struct StreamConfig: Sendable, Equatable {
        public var name: String
        public var subjects: [String]
        public var duplicateWindowSeconds: Double = 3600
        public var description: String?
        public var memoryStorage = false
        /// Copies kept by a JetStream cluster (1 on a single server; 3 to survive a server's loss).
        public var replicas = 1

        public init(name: String, subjects: [String]) {
            self.name = name
            self.subjects = subjects
        }

        var json: [String: Any] {
            var o: [String: Any] = ["name": name, "subjects": subjects, "storage": memoryStorage ? "memory" : "file",
                                    "retention": "limits", "discard": "old", "num_replicas": replicas,
                                    "duplicate_window": Int64(duplicateWindowSeconds * 1e9)]
            if let description { o["description"] = description }
            return o
        }
    }

    /// What the server says of a stream.
    public struct StreamInfo: Sendable, Equatable {
        public var name: String
        public var description: String?
        public var messages: Int
        public var firstSequence: UInt64
        public var lastSequence: UInt64
        public var duplicateWindowSeconds: Double
    }

    /// Creates the stream, or returns the existing one unchanged when its name is taken (the caller
    /// compares what matters, such as the description's shard count).
    @discardableResult
    public func ensureStream(_ config: StreamConfig) throws -> StreamInfo {
        do {
            return try streamInfo(from: call("$JS.API.STREAM.CREATE.\(config.name)", config.json))
        } catch NATSError.jetStream(let code, let d) where code == 400 && d.lowercased().contains("already in use") {
            return try streamInfo(config.name)
        }
    }

    public func streamInfo(_ name: String) throws -> StreamInfo {
        try streamInfo(from: call("$JS.API.STREAM.INFO.\(name)", nil))
    }

    /// A durable pull consumer acknowledged with AckAll.
    public struct ConsumerConfig: Sendable, Equatable {
        public var durable: String
        public var filterSubject: String?
        /// How long a delivered, unacknowledged message waits before redelivery.
        public var ackWaitSeconds: Double = 30
        /// Delivered but unacknowledged messages at most (the checkpoint batch must fit).
        public var maxAckPending = 10_000
        /// Deliver from this stream sequence on (nil: from the first message).
        public var startSequence: UInt64?

        public init(durable: String) { self.durable = durable }
    }

    @discardableResult
    public func ensureConsumer(stream: String, _ c: ConsumerConfig) throws -> [String: Any] {
        var config: [String: Any] = ["durable_name": c.durable, "ack_policy": "all", "deliver_policy": "all",
                                     "replay_policy": "instant", "ack_wait": Int64(c.ackWaitSeconds * 1e9),
                                     "max_ack_pending": c.maxAckPending]
        if let f = c.filterSubject { config["filter_subject"] = f }
        if let s = c.startSequence {
            config["deliver_policy"] = "by_start_sequence"
            config["opt_start_seq"] = s
        }
        return try call("$JS.API.CONSUMER.DURABLE.CREATE.\(stream).\(c.durable)", ["stream_name": stream, "config": config])
    }

    /// Deletes a consumer; true when it existed.
    @discardableResult
    public func deleteConsumer(stream: String, name: String) throws -> Bool {
        do {
            _ = try call("$JS.API.CONSUMER.DELETE.\(stream).\(name)", nil)
            return true
        } catch NATSError.jetStream(let code, _) where code == 404 {
            return false
        }
    }

    /// Creates the durable consumer afresh, delivering from `startSequence`: what a worker does at
    /// start and after a lost connection. Why not resume the durable as it was: messages delivered
    /// to a dead worker but never acknowledged come back only after `ack_wait`, *behind* newer
    /// ones, and a worker must see its shard in stream order. Its checkpoint says where it stands.
    public func restartConsumer(stream: String, _ c: ConsumerConfig) throws {
        try deleteConsumer(stream: stream, name: c.durable)
        try ensureConsumer(stream: stream, c)
    }

    /// The server's acknowledgement of a published message.
    public struct PubAck: Sendable, Equatable {
        public var stream: String
        public var sequence: UInt64
        /// True when a message with the same `Nats-Msg-Id` was already stored within the window.
        public var duplicate: Bool
    }

    /// Publishes and waits for the stream's acknowledgement; `msgID` becomes `Nats-Msg-Id`.
    public func publish(_ subject: String, payload: [UInt8], msgID: String? = nil, headers extra: NATSHeaders? = nil) throws -> PubAck {
        var h = extra ?? NATSHeaders()
        if let msgID { h.append("Nats-Msg-Id", msgID) }
        let reply = try connection.request(subject, headers: h.isEmpty ? nil : h, payload: payload, timeout: timeout)
        let o = try Self.object(reply.payload)
        try Self.check(o)
        guard let stream = o["stream"] as? String, let seq = (o["seq"] as? NSNumber)?.uint64Value else {
            throw NATSError.protocolViolation("publish acknowledgement without stream/seq")
        }
        return PubAck(stream: stream, sequence: seq, duplicate: (o["duplicate"] as? Bool) ?? false)
    }

    /// Fetches up to `batch` messages for a pull consumer, waiting at most `expires` seconds for the
    /// first. Returns what arrived (possibly none).
    public func fetch(stream: String, consumer: String, batch: Int, expires: Double) throws -> [JetStreamMessage] {
        let inbox = connection.newInbox()
        let sub = try connection.subscribe(inbox)
        defer { sub.unsubscribe() }
        let request = try JSONSerialization.data(withJSONObject: ["batch": batch, "expires": Int64(expires * 1e9)])
        try connection.publish("$JS.API.CONSUMER.MSG.NEXT.\(stream).\(consumer)", reply: inbox, payload: Array(request))
        var out: [JetStreamMessage] = []
        let deadline = Date(timeIntervalSinceNow: expires + timeout)
        // Messages are taken as they queue up, many per lock round trip.
        batchLoop: while out.count < batch {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { break }
            let arrived = try sub.nextBatch(timeout: left)
            if arrived.isEmpty { break }
            for m in arrived {
                if let status = m.headers.status {
                    // 404 no messages, 408 request expired, 409 consumer limits: the batch ends here.
                    if status == 404 || status == 408 || status == 409 { break batchLoop }
                    if status == 100 { continue }   // idle heartbeat
                    throw NATSError.jetStream(code: status, description: m.headers.statusDescription ?? "")
                }
                guard let reply = m.reply, let meta = JetStreamMessage.Metadata(ackSubject: reply) else {
                    throw NATSError.protocolViolation("JetStream message without an acknowledgement subject")
                }
                out.append(JetStreamMessage(message: m, metadata: meta))
            }
        }
        return out
    }

    /// Acknowledges `message` (and, under AckAll, every earlier one) and waits until the server has
    /// it, so a checkpoint written after this call never precedes its acknowledgement.
    public func ack(_ message: JetStreamMessage) throws {
        try acknowledge(message, "+ACK")
        try connection.flush(timeout: timeout)
    }

    /// Asks for redelivery now (`-NAK`).
    public func nak(_ message: JetStreamMessage) throws { try acknowledge(message, "-NAK") }

    /// Resets the message's ack timer (`+WPI`, work in progress).
    public func inProgress(_ message: JetStreamMessage) throws { try acknowledge(message, "+WPI") }

    /// Sends one acknowledgement token to the message's `$JS.ACK…` reply subject.
    private func acknowledge(_ message: JetStreamMessage, _ token: String) throws {
        try connection.publish(message.message.reply!, payload: Array(token.utf8))
    }

    // MARK: plumbing

    func call(_ subject: String, _ body: [String: Any]?) throws -> [String: Any] {
        let payload = try body.map { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) } ?? []
        let reply = try connection.request(subject, payload: payload, timeout: timeout)
        let o = try Self.object(reply.payload)
        try Self.check(o)
        return o
    }

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw NATSError.protocolViolation("JetStream answer is not a JSON object")
        }
        return o
    }

    static func check(_ o: [String: Any]) throws {
        if let e = o["error"] as? [String: Any] {
            throw NATSError.jetStream(code: (e["code"] as? Int) ?? 0, description: (e["description"] as? String) ?? "")
        }
    }

    func streamInfo(from o: [String: Any]) throws -> StreamInfo {
        guard let config = o["config"] as? [String: Any], let name = config["name"] as? String,
              let state = o["state"] as? [String: Any] else {
            throw NATSError.protocolViolation("stream info without config/state")
        }
        return StreamInfo(name: name, description: config["description"] as? String,
                          messages: (state["messages"] as? Int) ?? 0,
                          firstSequence: (state["first_seq"] as? NSNumber)?.uint64Value ?? 0,
                          lastSequence: (state["last_seq"] as? NSNumber)?.uint64Value ?? 0,
                          duplicateWindowSeconds: Double((config["duplicate_window"] as? NSNumber)?.int64Value ?? 0) / 1e9)
    }
}

/// A message fetched from a pull consumer, with what its acknowledgement subject says about it.
public struct JetStreamMessage: Sendable, Equatable {
    public var message: NATSMessage
    public var metadata: Metadata

    /// Parsed from `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ns>.<pending>`
    /// (and the newer form with domain and account hash before the stream).
    public struct Metadata: Sendable, Equatable {
        public var stream: String
        public var consumer: String
        /// How many times this message has been delivered (1 the first time).
        public var delivered: Int
        public var streamSequence: UInt64
        public var consumerSequence: UInt64
        public var pending: UInt64

        public init?(ackSubject: String) {
            // Token ranges over the UTF-8 bytes (this runs for every fetched message): strings only
            // for the stream and consumer, numbers read from the bytes.
            var subject = ackSubject
            guard let parsed = subject.withUTF8({ u -> (String, String, [UInt64])? in
                var tokens: [Range<Int>] = []
                var from = 0
                for i in 0...u.count where i == u.count || u[i] == 46 {
                    tokens.append(from..<i)
                    from = i + 1
                }
                guard tokens.count >= 9 else { return nil }
                func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: u[r]), as: UTF8.self) }
                guard text(tokens[0]) == "$JS", text(tokens[1]) == "ACK" else { return nil }
                if tokens.count >= 11 { tokens.removeSubrange(2..<4) }   // $JS.ACK.<domain>.<account hash>.<stream>…
                var numbers: [UInt64] = []
                for r in [tokens[4], tokens[5], tokens[6], tokens[8]] {
                    guard !r.isEmpty, r.count <= 19 else { return nil }
                    var v: UInt64 = 0
                    for b in u[r] {
                        guard b >= 48 && b <= 57 else { return nil }
                        v = v &* 10 &+ UInt64(b - 48)
                    }
                    numbers.append(v)
                }
                return (text(tokens[2]), text(tokens[3]), numbers)
            }) else { return nil }
            stream = parsed.0
            consumer = parsed.1
            delivered = Int(parsed.2[0])
            streamSequence = parsed.2[1]
            consumerSequence = parsed.2[2]
            pending = parsed.2[3]
        }
    }
}
