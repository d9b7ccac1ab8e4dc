import Foundation
import NIOCore
import NIOSSL

/// What the event loop learns and the caller's threads wait for: whether a connection is up (and
/// which one: a generation counter), the server's INFO, PONGs owed to flushes, messages per
/// subscription, and the failure that ends the connection for good. One lock, one condition.
final class ConnectionState: @unchecked Sendable {
    /// Queued messages per subscription before the oldest are dropped (and counted).
    static let queueLimit = 65_536

    private let cond = NSCondition()
    private var generation = 0
    private var connected = false
    private var reconnecting = false
    private var userClosed = false
    private var info: String?
    private var pongsReceived = 0
    private var pingsSent = 0
    private var subjects: [Int: (subject: String, queue: String?)] = [:]
    private var queues: [Int: [NATSMessage]] = [:]
    private var heads: [Int: Int] = [:]
    private var droppedBySid: [Int: Int] = [:]
    private var nextSid = 1
    private var inboxCounter = 0
    private var error: NATSError?
    private var reconnectCount = 0
    let inboxPrefix: String = {
        var g = SystemRandomNumberGenerator()
        return String((0..<22).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".randomElement(using: &g)! })
    }()

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        cond.lock()
        defer { cond.unlock() }
        return try body()
    }

    // MARK: connection lifecycle

    /// A new socket is about to open: its INFO and PONGs start afresh. Returns its generation.
    func beginConnection() -> Int {
        locked {
            generation += 1
            connected = false
            info = nil
            pingsSent = 0
            pongsReceived = 0
            cond.broadcast()
            return generation
        }
    }

    func markConnected() { locked { connected = true; reconnecting = false; cond.broadcast() } }

    /// The socket closed. True when the caller should start reconnecting (enabled, not closed on
    /// purpose, not failed for good, not already at it).
    func beginReconnect(enabled: Bool) -> Bool {
        locked {
            connected = false
            cond.broadcast()
            if userClosed || error != nil || reconnecting { return false }
            guard enabled else { error = .closed; return false }
            reconnecting = true
            return true
        }
    }

    func countReconnect() { locked { reconnectCount += 1 } }
    var reconnects: Int { locked { reconnectCount } }

    var isUserClosed: Bool { locked { userClosed } }
    var hasFailed: Bool { locked { error != nil } }

    func markUserClosed() { locked { userClosed = true; connected = false; cond.broadcast() } }

    func markClosed(error e: NATSError?) {
        locked {
            if error == nil { error = e ?? .closed }
            connected = false
            reconnecting = false
            cond.broadcast()
        }
    }

    private func fatal() -> NATSError? { error ?? (userClosed ? .closed : nil) }

    // MARK: event loop side

    func received(_ op: NATSServerOp, generation g: Int, reply: (ByteBuffer) -> Void, allocator: ByteBufferAllocator) {
        switch op {
        case .ping:
            var b = allocator.buffer(capacity: 6)
            b.writeBytes(NATSProtocol.pong)
            reply(b)
        case .pong:
            locked { if g == generation { pongsReceived += 1 }; cond.broadcast() }
        case .info(let json):
            locked { if g == generation && info == nil { info = json }; cond.broadcast() }
        case .ok:
            break
        case .err(let text):
            // Permission errors on one subject leave the connection open; the rest end it.
            if text.lowercased().hasPrefix("permissions violation") { return }
            markClosed(error: .server(text))
        case .msg(let m):
            locked {
                guard queues[m.sid] != nil else { return }
                let head = heads[m.sid] ?? 0
                if queues[m.sid]!.count - head >= Self.queueLimit {
                    heads[m.sid] = head + 1
                    droppedBySid[m.sid, default: 0] += 1
                }
                queues[m.sid]!.append(m)
                cond.broadcast()
            }
        }
    }

    // MARK: caller side

    func currentInfo() -> String? { locked { info } }

    /// Waits until a connection is up; throws when the connection has failed for good or the wait
    /// exceeds `timeout`.
    func waitUntilConnected(timeout: Double) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        try locked {
            while !connected {
                if let e = fatal() { throw e }
                if !reconnecting { return }   // the first handshake writes before it is connected
                if !cond.wait(until: deadline) && !connected { throw NATSError.timeout("the connection to come back") }
            }
        }
    }

    func waitForInfo(timeout: Double) throws -> String {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return try locked {
            while info == nil {
                if let e = fatal() { throw e }
                if !cond.wait(until: deadline) && info == nil { throw NATSError.timeout("the server's INFO") }
            }
            return info!
        }
    }

    /// A ticket for the PONG that answers the next PING on this connection.
    func expectPong() -> (generation: Int, count: Int) { locked { pingsSent += 1; return (generation, pingsSent) } }

    func waitForPong(_ ticket: (generation: Int, count: Int), timeout: Double) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        try locked {
            while generation == ticket.generation && pongsReceived < ticket.count {
                if let e = fatal() { throw e }
                if !cond.wait(until: deadline) && pongsReceived < ticket.count { throw NATSError.timeout("a PING") }
            }
            if generation != ticket.generation { throw NATSError.disconnected }
        }
    }

    func register(subject: String, queue: String?) -> Int {
        locked {
            let sid = nextSid
            nextSid += 1
            subjects[sid] = (subject, queue)
            queues[sid] = []
            heads[sid] = 0
            return sid
        }
    }

    /// Live subscriptions, to be sent again on a new connection.
    func liveSubscriptions() -> [(Int, (subject: String, queue: String?))] {
        locked { subjects.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    func unregister(sid: Int) { locked { subjects[sid] = nil; queues[sid] = nil; heads[sid] = nil } }

    func nextInboxNumber() -> Int { locked { inboxCounter += 1; return inboxCounter } }

    func dropped(sid: Int) -> Int { locked { droppedBySid[sid] ?? 0 } }

    /// The next queued message of `sid`, waiting up to `timeout` (through a reconnect); nil on timeout.
    /// Every message queued for `sid`, waiting up to `timeout` for the first (empty on timeout): one
    /// lock round trip for a burst of replies (the publisher's acknowledgements).
    func takeAll(sid: Int, timeout: Double) throws -> [NATSMessage] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return try locked {
            while true {
                if let q = queues[sid], let head = heads[sid], head < q.count {
                    queues[sid] = []
                    heads[sid] = 0
                    return head == 0 ? q : Array(q[head...])
                }
                if let e = fatal() { throw e }
                if !cond.wait(until: deadline) {
                    if let q = queues[sid], let head = heads[sid], head < q.count { continue }
                    return []
                }
            }
        }
    }

    func take(sid: Int, timeout: Double) throws -> NATSMessage? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return try locked {
            while true {
                if let q = queues[sid], let head = heads[sid], head < q.count {
                    let m = q[head]
                    if head + 1 == q.count {
                        queues[sid] = []
                        heads[sid] = 0
                    } else {
                        heads[sid] = head + 1
                        if head + 1 >= 1024 && (head + 1) * 2 >= q.count {
                            queues[sid] = Array(q[(head + 1)...])
                            heads[sid] = 0
                        }
                    }
                    return m
                }
                if let e = fatal() { throw e }
                if !cond.wait(until: deadline) {
                    if let q = queues[sid], let head = heads[sid], head < q.count { continue }
                    return nil
                }
            }
        }
    }
}

/// Feeds one socket's bytes to the parser and the parsed operations to ``ConnectionState``; tells
/// the connection when the socket closes.
final class NATSHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private var parser = NATSParser()
    private let state: ConnectionState
    private let generation: Int
    private let onClose: () -> Void

    init(state: ConnectionState, generation: Int, onClose: @escaping () -> Void) {
        self.state = state
        self.generation = generation
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buf = unwrapInboundIn(data)
        do {
            let ops = try buf.withUnsafeReadableBytes { try parser.push($0) }
            for op in ops {
                state.received(op, generation: generation, reply: { context.writeAndFlush(NIOAny($0), promise: nil) },
                               allocator: context.channel.allocator)
            }
        } catch let e as NATSError {
            state.markClosed(error: e)
            context.close(promise: nil)
        } catch {
            state.markClosed(error: .protocolViolation("\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A certificate that does not verify will not verify on the next attempt either: fail for
        // good, with the reason, rather than reconnect in a loop.
        if error is NIOSSLError || error is BoringSSLError {
            state.markClosed(error: .connect("TLS handshake failed: \(error) (is the server's certificate signed by --nats-ca-file, and issued for this host name?)"))
        }
        context.close(promise: nil)
    }
}
