import Foundation
import NIOCore
import NIOPosix

/// One connection to a NATS server over SwiftNIO, used from ordinary (blocking) code: Vigil's
/// pipeline is synchronous, so every call here waits on the event loop's answer with a timeout.
///
/// Why a blocking facade over NIO: the network work (reads, partial frames, keep-alive PONGs) runs
/// on NIO's event loop and never waits on Vigil; Vigil's thread waits only where it needs an answer
/// (a request, a flush). Publishing is fire-and-forget on the wire; `flush()` (PING → PONG) confirms
/// that everything written before it reached the server.
///
/// Not yet here (said in the README): TLS, reconnecting after a lost connection (a lost connection
/// fails every call with ``NATSError/closed``; callers restart from their checkpoint).
public final class NATSConnection: @unchecked Sendable {
    /// Where and how to connect. Credentials come from a file or the environment, never from a
    /// command line (see the README's secrets rule).
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var name = "vigil"
        public var user: String?
        public var password: String?
        public var token: String?
        public var connectTimeout: Double = 5
        public var requestTimeout: Double = 5

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `nats://HOST:PORT` (port 4222 by default). Credentials in the URL are refused: they would
        /// sit in the process list and shell history.
        public init(url: String) throws {
            guard url.hasPrefix("nats://") else {
                if url.hasPrefix("tls://") { throw NATSError.url("\(url): TLS is not supported yet") }
                throw NATSError.url(url)
            }
            let rest = url.dropFirst("nats://".count)
            guard !rest.contains("@") else { throw NATSError.url("\(url): put credentials in a file, not in the URL") }
            let hostPort = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
                guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65_535).contains(p) else { throw NATSError.url(url) }
                host = String(hostPort[..<colon])
                port = p
            } else {
                host = hostPort
                port = 4222
            }
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw NATSError.url(url) }
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    let state: ConnectionState
    public let options: Options
    /// The server's INFO line (JSON), as it announced itself.
    public private(set) var serverInfo = ""

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, state: ConnectionState, options: Options) {
        self.group = group
        self.channel = channel
        self.state = state
        self.options = options
    }

    /// Connects, reads INFO, sends CONNECT and waits for the PONG that proves the server accepted it
    /// (or its `-ERR`, e.g. an authorization violation, as ``NATSError/server(_:)``).
    public static func connect(_ options: Options) throws -> NATSConnection {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = ConnectionState()
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(Int64(options.connectTimeout * 1000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(NATSHandler(state: state)) }
            }
        let channel: Channel
        do {
            channel = try bootstrap.connect(host: options.host, port: options.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw NATSError.connect("\(options.host):\(options.port): \(error)")
        }
        let c = NATSConnection(group: group, channel: channel, state: state, options: options)
        do {
            c.serverInfo = try state.waitForInfo(timeout: options.connectTimeout)
            try c.write(NATSProtocol.connect(name: options.name, user: options.user, pass: options.password, token: options.token))
            try c.flush(timeout: options.connectTimeout)
        } catch {
            c.close()
            throw error
        }
        return c
    }

    /// Publishes `payload` (with `headers`, if any) to `subject`. Returns once written to the socket
    /// buffer; `flush()` confirms delivery to the server.
    public func publish(_ subject: String, reply: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) throws {
        guard NATSProtocol.isValidSubject(subject), reply.map(NATSProtocol.isValidSubject) ?? true else {
            throw NATSError.protocolViolation("invalid subject '\(subject)'")
        }
        try write(NATSProtocol.publish(subject: subject, reply: reply, headers: headers, payload: payload))
    }

    /// Subscribes to `subject` (wildcards allowed); messages queue in the returned subscription.
    public func subscribe(_ subject: String, queue: String? = nil) throws -> NATSSubscription {
        let sid = state.register()
        try write(NATSProtocol.subscribe(subject: subject, sid: sid, queue: queue))
        return NATSSubscription(connection: self, sid: sid)
    }

    /// Sends a request and waits for the first reply on a fresh inbox. A `503` status (no one
    /// subscribed to `subject`) is ``NATSError/noResponders(_:)``.
    public func request(_ subject: String, headers: NATSHeaders? = nil, payload: [UInt8], timeout: Double? = nil) throws -> NATSMessage {
        let inbox = newInbox()
        let sub = try subscribe(inbox)
        defer { sub.unsubscribe() }
        try publish(subject, reply: inbox, headers: headers, payload: payload)
        guard let reply = try sub.next(timeout: timeout ?? options.requestTimeout) else {
            throw NATSError.timeout("a request on \(subject)")
        }
        if reply.headers.status == 503 { throw NATSError.noResponders(subject) }
        return reply
    }

    /// A subject unique to this connection for replies (`_INBOX.<random>.<n>`).
    public func newInbox() -> String { "_INBOX.\(state.inboxPrefix).\(state.nextInboxNumber())" }

    /// PING, then wait for PONG: everything written before has been processed by the server.
    public func flush(timeout: Double? = nil) throws {
        let ticket = state.expectPong()
        try write(NATSProtocol.ping)
        try state.waitForPong(ticket, timeout: timeout ?? options.requestTimeout)
    }

    /// Closes the socket and the event loop (idempotent).
    public func close() {
        state.markClosed(error: nil)
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    func write(_ bytes: [UInt8]) throws {
        if let e = state.failure() { throw e }
        var buf = channel.allocator.buffer(capacity: bytes.count)
        buf.writeBytes(bytes)
        channel.writeAndFlush(buf, promise: nil)
    }
}

/// Messages of one subscription, waiting to be taken. Capped: past `limit` queued messages the
/// oldest are dropped and counted (a slow consumer is told, never grown without bound).
public final class NATSSubscription: @unchecked Sendable {
    public let sid: Int
    private let connection: NATSConnection

    init(connection: NATSConnection, sid: Int) {
        self.connection = connection
        self.sid = sid
    }

    /// The next message, waiting up to `timeout` seconds; nil on timeout.
    public func next(timeout: Double) throws -> NATSMessage? {
        try connection.state.take(sid: sid, timeout: timeout)
    }

    /// Messages dropped because the queue was full.
    public var dropped: Int { connection.state.dropped(sid: sid) }

    public func unsubscribe() {
        connection.state.unregister(sid: sid)
        try? connection.write(NATSProtocol.unsubscribe(sid: sid))
    }
}
