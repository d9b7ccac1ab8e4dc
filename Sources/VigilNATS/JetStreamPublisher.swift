import Foundation

/// Publishes to JetStream with acknowledgements, many messages in flight at once.
///
/// Why not ``JetStream/publish(_:payload:msgID:headers:)`` in a loop: that waits one round trip per
/// message (about 10k messages a second on loopback). Here messages are written in batches (one
/// socket write each), every one with its own reply subject under one wildcard inbox, and the
/// acknowledgements are counted as they come back; at most `maxInFlight` wait at once.
///
/// Nothing is lost: a message stays in `pending` until the server has acknowledged storing it (or
/// recognised its `Nats-Msg-Id` as a duplicate). If acknowledgements stop coming (a connection lost
/// and re-established), everything pending is sent again, in order; the stream's deduplication
/// makes the resend harmless. ``drain()`` returns only when nothing is pending: call it before
/// recording that the messages are safe (a checkpoint).
public final class JetStreamPublisher {
    public let connection: NATSConnection
    private let inbox: String
    private let subscription: NATSSubscription
    private var nextNumber: UInt64 = 0
    /// Encoded messages not yet acknowledged, by number, oldest first (resent in this order).
    private var pending: [UInt64: [UInt8]] = [:]
    private var pendingOrder: [UInt64] = []
    private var orderHead = 0
    private var buffer: [UInt8] = []
    /// Unacknowledged messages at most; past it, `publish` waits for acknowledgements.
    public var maxInFlight = 4096
    /// Bytes gathered before one socket write.
    public var batchBytes = 256 << 10
    /// Seconds without any acknowledgement before everything pending is sent again.
    public var resendAfter = 5.0
    /// Resends without progress before giving up.
    public var maxResends = 6
    /// Messages the server stored, and messages it recognised as already stored (same Msg-Id).
    public private(set) var stored = 0
    public private(set) var duplicates = 0
    public private(set) var resends = 0

    public init(_ connection: NATSConnection) throws {
        self.connection = connection
        inbox = connection.newInbox()
        subscription = try connection.subscribe(inbox + ".*")
    }

    deinit { subscription.unsubscribe() }

    /// Messages written or buffered whose acknowledgement has not come back.
    public var outstanding: Int { pending.count }

    /// Queues one message; `msgID` becomes `Nats-Msg-Id`. Returns at once unless `maxInFlight`
    /// messages are already waiting.
    public func publish(_ subject: String, msgID: String, headers: NATSHeaders = NATSHeaders(), payload: [UInt8]) throws {
        var h = headers
        h.append("Nats-Msg-Id", msgID)
        let n = nextNumber
        nextNumber += 1
        let bytes = NATSProtocol.publish(subject: subject, reply: "\(inbox).\(n)", headers: h, payload: payload)
        pending[n] = bytes
        pendingOrder.append(n)
        buffer += bytes
        if buffer.count >= batchBytes { try sendBuffer() }
        if pending.count >= maxInFlight {
            try sendBuffer()
            try waitForAcks(atMost: maxInFlight / 2)
        }
    }

    /// Sends what is buffered and waits until every message is acknowledged.
    public func drain() throws {
        try sendBuffer()
        try waitForAcks(atMost: 0)
        pendingOrder.removeAll(keepingCapacity: true)
        orderHead = 0
    }

    private func sendBuffer() throws {
        guard !buffer.isEmpty else { return }
        try connection.write(encoded: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func waitForAcks(atMost limit: Int) throws {
        var lastProgress = Date()
        var resendsWithoutProgress = 0
        while pending.count > limit {
            guard let m = try subscription.next(timeout: 0.5) else {
                if Date().timeIntervalSince(lastProgress) >= resendAfter {
                    guard resendsWithoutProgress < maxResends else {
                        throw NATSError.timeout("acknowledgements of \(pending.count) published messages")
                    }
                    resendsWithoutProgress += 1
                    try resendPending()
                    lastProgress = Date()
                }
                continue
            }
            guard let dot = m.subject.lastIndex(of: "."), let n = UInt64(m.subject[m.subject.index(after: dot)...]),
                  pending[n] != nil else { continue }   // an answer to a message resent and acknowledged twice
            if m.headers.status == 503 {
                throw NATSError.noResponders("\(m.subject): no stream stores this subject")
            }
            try acknowledge(n, m.payload)
            lastProgress = Date()
            resendsWithoutProgress = 0
        }
        // Forget the numbers of acknowledged messages at the front of the resend order.
        while orderHead < pendingOrder.count, pending[pendingOrder[orderHead]] == nil { orderHead += 1 }
        if orderHead >= 4096 && orderHead * 2 >= pendingOrder.count {
            pendingOrder.removeFirst(orderHead)
            orderHead = 0
        }
    }

    /// Reads one acknowledgement: `{"stream":…,"seq":…}`, with `"duplicate":true` when the Msg-Id was
    /// already stored, or `{"error":…}`. Only an error is decoded as JSON (the common case is a byte scan).
    private func acknowledge(_ n: UInt64, _ payload: [UInt8]) throws {
        if Self.contains(payload, "\"error\"") {
            let o = try JetStream.object(payload)
            try JetStream.check(o)
        }
        guard Self.contains(payload, "\"seq\"") else { throw NATSError.protocolViolation("publish acknowledgement without seq") }
        // nats-server writes `"duplicate": true` (with a space); Go's encoder would not: both are read.
        if Self.contains(payload, "\"duplicate\": true") || Self.contains(payload, "\"duplicate\":true") {
            duplicates += 1
        } else {
            stored += 1
        }
        pending[n] = nil
    }

    private func resendPending() throws {
        resends += 1
        while orderHead < pendingOrder.count, pending[pendingOrder[orderHead]] == nil { orderHead += 1 }
        var out: [UInt8] = []
        for n in pendingOrder[orderHead...] {
            if let b = pending[n] { out += b }
        }
        buffer.removeAll(keepingCapacity: true)
        try connection.write(encoded: out)
    }

    static func contains(_ bytes: [UInt8], _ needle: StaticString) -> Bool {
        let n = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard bytes.count >= n.count else { return false }
        return bytes.withUnsafeBufferPointer { b in
            var i = 0
            while i + n.count <= b.count {
                if b[i] == n[0] && memcmp(b.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
                i += 1
            }
            return false
        }
    }
}
