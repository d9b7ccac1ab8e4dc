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
    /// Encoded messages from the oldest one not yet acknowledged on, back to back: what a resend
    /// writes again, in order. Message `firstNumber + i` ends at `ends[i]`.
    private var log: [UInt8] = []
    private var ends: [Int] = []
    private var acked: [Bool] = []
    private var firstNumber: UInt64 = 0
    /// Index of the oldest message not yet acknowledged.
    private var head = 0
    /// Bytes of `log` written to the socket.
    private var sentUpTo = 0
    private var unacknowledged = 0
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
    public var outstanding: Int { unacknowledged }

    /// Queues one message; `msgID` becomes `Nats-Msg-Id`. Returns at once unless `maxInFlight`
    /// messages are already waiting.
    public func publish(_ subject: String, msgID: String, headers: NATSHeaders = NATSHeaders(), payload: [UInt8]) throws {
        var h = headers
        h.append("Nats-Msg-Id", msgID)
        let n = firstNumber + UInt64(ends.count)
        NATSProtocol.appendPublish(to: &log, subject: subject, reply: "\(inbox).\(n)", headers: h, payload: payload)
        ends.append(log.count)
        acked.append(false)
        unacknowledged += 1
        if log.count - sentUpTo >= batchBytes { try sendBuffered() }
        if unacknowledged >= maxInFlight {
            try sendBuffered()
            try waitForAcks(atMost: maxInFlight / 2)
        }
    }

    /// Sends what is buffered now, and takes in the acknowledgements already there, without
    /// waiting: what a router following live logs does after each pass, so an event appended to a
    /// log reaches the stream at once rather than when 256 KiB have gathered.
    public func flush() throws {
        try sendBuffered()
        try waitForAcks(atMost: unacknowledged, pollOnce: true)
    }

    /// Sends what is buffered and waits until every message is acknowledged.
    public func drain() throws {
        try sendBuffered()
        try waitForAcks(atMost: 0)
        firstNumber += UInt64(ends.count)
        log.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        acked.removeAll(keepingCapacity: true)
        head = 0
        sentUpTo = 0
    }

    private func sendBuffered() throws {
        guard sentUpTo < log.count else { return }
        try connection.write(encoded: Array(log[sentUpTo...]))
        sentUpTo = log.count
    }

    private func waitForAcks(atMost limit: Int, pollOnce: Bool = false) throws {
        var lastProgress = Date()
        var resendsWithoutProgress = 0
        while unacknowledged > limit || pollOnce {
            let replies = try subscription.nextBatch(timeout: pollOnce ? 0 : 0.5)
            if pollOnce {
                for m in replies { try take(m) }
                break
            }
            if replies.isEmpty {
                if Date().timeIntervalSince(lastProgress) >= resendAfter {
                    guard resendsWithoutProgress < maxResends else {
                        throw NATSError.timeout("acknowledgements of \(unacknowledged) published messages")
                    }
                    resendsWithoutProgress += 1
                    try resendPending()
                    lastProgress = Date()
                }
                continue
            }
            for m in replies { try take(m) }
            lastProgress = Date()
            resendsWithoutProgress = 0
        }
        compact()
    }

    /// One reply from the inbox: the acknowledgement of message `n` (its subject's last token).
    private func take(_ m: NATSMessage) throws {
        guard let dot = m.subject.lastIndex(of: "."), let n = UInt64(m.subject[m.subject.index(after: dot)...]),
              n >= firstNumber, Int(n - firstNumber) < ends.count, !acked[Int(n - firstNumber)] else {
            return   // an answer to a message resent and acknowledged twice
        }
        if m.headers.status == 503 {
            throw NATSError.noResponders("\(m.subject): no stream stores this subject")
        }
        try acknowledge(Int(n - firstNumber), m.payload)
    }

    /// Reads one acknowledgement: `{"stream":…,"seq":…}`, with `"duplicate": true` when the Msg-Id
    /// was already stored, or `{"error":…}`. Only an error is decoded as JSON (the common case is a
    /// byte scan).
    private func acknowledge(_ index: Int, _ payload: [UInt8]) throws {
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
        acked[index] = true
        unacknowledged -= 1
    }

    /// Drops acknowledged messages from the front of the log (amortised O(1) per message).
    private func compact() {
        while head < acked.count && acked[head] { head += 1 }
        guard head >= 4096 && head * 2 >= acked.count else { return }
        let cut = ends[head - 1]
        log.removeFirst(cut)
        sentUpTo -= cut
        ends.removeFirst(head)
        for i in ends.indices { ends[i] -= cut }
        acked.removeFirst(head)
        firstNumber += UInt64(head)
        head = 0
    }

    /// Writes every message from the oldest unacknowledged one on again, in order.
    private func resendPending() throws {
        resends += 1
        while head < acked.count && acked[head] { head += 1 }
        let from = head == 0 ? 0 : ends[head - 1]
        try connection.write(encoded: Array(log[from...]))
        sentUpTo = log.count
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
