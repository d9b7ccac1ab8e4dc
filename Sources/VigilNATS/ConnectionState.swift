import Foundation
import NIOCore

/// What the event loop learns and the caller's thread waits for: the server's INFO, PONGs owed to
/// flushes, messages per subscription, and the first failure. One lock, one condition.
final class ConnectionState: @unchecked Sendable {
    /// Queued messages per subscription before the oldest are dropped.
    static let queueLimit = 65_536

    private let cond = NSCondition()
    private var info: String?
    private var pongsReceived = 0
    private var pingsSent = 0
    private var queues: [Int: [NATSMessage]] = [:]
    private var heads: [Int: Int] = [:]
    private var droppedBySid: [Int: Int] = [:]
    private var nextSid = 1
    private var inboxCounter = 0
    private var error: NATSError?
    private var closed = false
    let inboxPrefix: String = {
        var g = SystemRandomNumberGenerator()
        return String((0..<22).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".randomElement(using: &g)! })
    }()

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        cond.lock()
        defer { cond.unlock() }
        return try body()
    }

    // MARK: event loop side

    func received(_ op: NATSServerOp, reply: (ByteBuffer) -> Void, allocator: ByteBufferAllocator) {
        switch op {
        case .ping:
            var b = allocator.buffer(capacity: 6)
            b.writeBytes(NATSProtocol.pong)
            reply(b)
        case .pong:
            locked { pongsReceived += 1; cond.broadcast() }
        case .info(let json):
            locked { if info == nil { info = json }; cond.broadcast() }
        case .ok:
            break
        case .err(let text):
            // Permission errors on one subject leave the connection open; the rest close it.
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

    func markClosed(error e: NATSError?) {
        locked {
            if error == nil, let e { error = e }
            closed = true
            cond.broadcast()
        }
    }

    // MARK: caller side

    func failure() -> NATSError? { locked { error ?? (closed ? .closed : nil) } }

    func waitForInfo(timeout: Double) throws -> String {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return try locked {
            while info == nil {
                if let e = error ?? (closed ? NATSError.closed : nil) { throw e }
                if !cond.wait(until: deadline) && info == nil { throw NATSError.timeout("the server's INFO") }
            }
            return info!
        }
    }

    func expectPong() -> Int { locked { pingsSent += 1; return pingsSent } }

    func waitForPong(_ ticket: Int, timeout: Double) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        try locked {
            while pongsReceived < ticket {
                if let e = error ?? (closed ? NATSError.closed : nil) { throw e }
                if !cond.wait(until: deadline) && pongsReceived < ticket { throw NATSError.timeout("a PING") }
            }
        }
    }

    func register() -> Int {
        locked {
            let sid = nextSid
            nextSid += 1
            queues[sid] = []
            heads[sid] = 0
            return sid
        }
    }

    func unregister(sid: Int) { locked { queues[sid] = nil; heads[sid] = nil } }

    func nextInboxNumber() -> Int { locked { inboxCounter += 1; return inboxCounter } }

    func dropped(sid: Int) -> Int { locked { droppedBySid[sid] ?? 0 } }

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
                if let e = error ?? (closed ? NATSError.closed : nil) { throw e }
                if !cond.wait(until: deadline) {
                    if let q = queues[sid], let head = heads[sid], head < q.count { continue }
                    return nil
                }
            }
        }
    }
}

/// Feeds the socket's bytes to the parser and the parsed operations to ``ConnectionState``.
final class NATSHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private var parser = NATSParser()
    private let state: ConnectionState

    init(state: ConnectionState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buf = unwrapInboundIn(data)
        do {
            let ops = try buf.withUnsafeReadableBytes { try parser.push($0) }
            for op in ops {
                state.received(op, reply: { context.writeAndFlush(NIOAny($0), promise: nil) }, allocator: context.channel.allocator)
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
        state.markClosed(error: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        state.markClosed(error: .connect("\(error)"))
        context.close(promise: nil)
    }
}
