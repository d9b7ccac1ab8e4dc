import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to a NATS server over SwiftNIO, used from ordinary (blocking) code: Vigil's
/// pipeline is synchronous, so every call here waits on the event loop's answer with a timeout.
///
/// Why a blocking facade over NIO: the network work (reads, partial frames, keep-alive PONGs) runs
/// on NIO's event loop and never waits on Vigil; Vigil's thread waits only where it needs an answer
/// (a request, a flush). Publishing is fire-and-forget on the wire; `flush()` (PING → PONG) confirms
/// that everything written before it reached the server.
///
/// A lost connection is re-established in the background with backoff (0.1 s doubling to 2 s, for
/// at most `reconnectTimeout`), with the same CONNECT and every live subscription sent again. While
/// it is down, writes wait for it; a flush or request that straddles the loss fails with
/// ``NATSError/disconnected`` (what was written before may or may not have arrived: callers that need
/// certainty resend, and JetStream's `Nats-Msg-Id` and AckAll make resending safe). Past the timeout,
/// or after an `-ERR` from the server, every call fails for good. `tls://` URLs upgrade to TLS after
/// the server's INFO, as NATS does, with the certificate verified (system CAs or `caFile`).
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
        /// Re-establish a lost connection (false: a loss fails every call at once).
        public var reconnect = true
        /// How long one outage may last before the connection gives up.
        public var reconnectTimeout: Double = 30
        /// TLS after the server's INFO (`tls://` URLs), verifying its certificate and name.
        public var tls = false
        /// PEM file of the CA to trust for TLS (nil: the system's trust store).
        public var caFile: String?

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `nats://HOST:PORT` (port 4222 by default). Credentials in the URL are refused: they would
        /// sit in the process list and shell history.
        /// `tls://HOST:PORT`: the same, with TLS.
        public init(url: String) throws {
            let scheme: String
            if url.hasPrefix("nats://") { scheme = "nats://" } else if url.hasPrefix("tls://") { scheme = "tls://" } else {
                throw NATSError.url(url)
            }
            tls = scheme == "tls://"
            let rest = url.dropFirst(scheme.count)
            if let at = rest.lastIndex(of: "@") {
                // Never echo what came before the @: it is a secret.
                throw NATSError.url("\(scheme)…@\(rest[rest.index(after: at)...]): put credentials in a file, not in the URL")
            }
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
    private let channelLock = NSLock()
    private var channel: Channel?
    let state: ConnectionState
    public let options: Options
    /// The server's INFO line (JSON), as it announced itself on the latest connection.
    public var serverInfo: String { state.currentInfo() ?? "" }
    /// Connections re-established after a loss.
    public var reconnects: Int { state.reconnects }

    private init(group: MultiThreadedEventLoopGroup, state: ConnectionState, options: Options) {
        self.group = group
        self.state = state
        self.options = options
    }

    /// Connects, reads INFO, sends CONNECT and waits for the PONG that proves the server accepted it
    /// (or its `-ERR`, e.g. an authorization violation, as ``NATSError/server(_:)``).
    public static func connect(_ options: Options) throws -> NATSConnection {
        let c = NATSConnection(group: MultiThreadedEventLoopGroup(numberOfThreads: 1), state: ConnectionState(), options: options)
        do {
            try c.establish()
        } catch {
            c.close()
            throw error
        }
        return c
    }

    /// Opens a socket and does the handshake: INFO, CONNECT, the live subscriptions again, PING/PONG.
    private func establish() throws {
        let generation = state.beginConnection()
        let state = self.state
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(Int64(options.connectTimeout * 1000)))
            .channelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NATSHandler(state: state, generation: generation) {
                        self?.connectionLost()
                    })
                }
            }
        let ch: Channel
        do {
            ch = try bootstrap.connect(host: options.host, port: options.port).wait()
        } catch {
            let text = "\(error)"
            if text.contains("Connection refused") {
                throw NATSError.connect("\(options.host):\(options.port): connection refused (is nats-server running there, with -js?)")
            }
            throw NATSError.connect("\(options.host):\(options.port): \(text)")
        }
        channelLock.withLock { channel = ch }
        do {
            let info = try state.waitForInfo(timeout: options.connectTimeout)
            try startTLSIfAsked(on: ch, info: info)
            var hello = NATSProtocol.connect(name: options.name, user: options.user, pass: options.password, token: options.token)
            for (sid, sub) in state.liveSubscriptions() { hello += NATSProtocol.subscribe(subject: sub.subject, sid: sid, queue: sub.queue) }
            let ticket = state.expectPong()
            hello += NATSProtocol.ping
            send(hello, on: ch)
            try state.waitForPong(ticket, timeout: options.connectTimeout)
        } catch {
            ch.close(promise: nil)
            throw error
        }
        state.markConnected()
    }

    /// NATS upgrades to TLS after the server's INFO, which says whether the server has it: the TLS
    /// handler goes first in the pipeline, so CONNECT (which may carry credentials) is encrypted.
    private func startTLSIfAsked(on ch: Channel, info: String) throws {
        let serverTLS = info.contains("\"tls_required\":true") || info.contains("\"tls_available\":true")
        guard options.tls else {
            if info.contains("\"tls_required\":true") { throw NATSError.connect("\(options.host):\(options.port) requires TLS: use a tls:// URL") }
            return
        }
        guard serverTLS else { throw NATSError.connect("\(options.host):\(options.port) does not offer TLS (a tls:// URL was given)") }
        var config = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caFile { config.trustRoots = .file(ca) }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: config) } catch { throw NATSError.connect("TLS setup: \(error)") }
        // Names go in SNI and are verified against the certificate; an IP address is verified
        // against the certificate's IP entries.
        let isAddress = options.host.contains(":") || options.host.allSatisfy { $0.isNumber || $0 == "." }
        let hostname = isAddress ? nil : options.host
        try ch.eventLoop.submit {
            try ch.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: hostname), position: .first)
        }.wait()
    }

    /// Called on the event loop when the socket closes: starts the reconnect loop on a thread of its
    /// own (the event loop must not wait), or fails the connection when reconnecting is off.
    private func connectionLost() {
        guard state.beginReconnect(enabled: options.reconnect) else { return }
        Thread.detachNewThread { [self] in
            let deadline = Date(timeIntervalSinceNow: options.reconnectTimeout)
            var delay = 0.1
            while Date() < deadline && !state.isUserClosed && !state.hasFailed {
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 2)
                if (try? establish()) != nil {
                    state.countReconnect()
                    return
                }
            }
            state.markClosed(error: .closed)
        }
    }

    /// Publishes `payload` (with `headers`, if any) to `subject`. Returns once written to the socket
    /// buffer; `flush()` confirms delivery to the server.
    public func publish(_ subject: String, reply: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) throws {
        guard NATSProtocol.isValidSubject(subject), reply.map(NATSProtocol.isValidSubject) ?? true else {
            throw NATSError.protocolViolation("invalid subject '\(subject)'")
        }
        try write(NATSProtocol.publish(subject: subject, reply: reply, headers: headers, payload: payload))
    }

    /// Writes protocol bytes built with ``NATSProtocol`` (many PUB/HPUB at once): one write and one
    /// event-loop hop for a whole batch, which is what lets a router publish 100k+ messages a second.
    public func write(encoded bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try write(bytes)
    }

    /// Subscribes to `subject` (wildcards allowed); messages queue in the returned subscription.
    public func subscribe(_ subject: String, queue: String? = nil) throws -> NATSSubscription {
        let sid = state.register(subject: subject, queue: queue)
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
        try state.waitUntilConnected(timeout: options.reconnectTimeout)
        let ticket = state.expectPong()
        try write(NATSProtocol.ping)
        try state.waitForPong(ticket, timeout: timeout ?? options.requestTimeout)
    }

    /// Closes the socket and the event loop (idempotent).
    public func close() {
        state.markUserClosed()
        let ch = channelLock.withLock { channel }
        try? ch?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Writes once connected (waiting out a reconnect, up to `reconnectTimeout`).
    func write(_ bytes: [UInt8]) throws {
        try state.waitUntilConnected(timeout: options.reconnectTimeout)
        guard let ch = channelLock.withLock({ channel }) else { throw NATSError.closed }
        send(bytes, on: ch)
    }

    private func send(_ bytes: [UInt8], on ch: Channel) {
        var buf = ch.allocator.buffer(capacity: bytes.count)
        buf.writeBytes(bytes)
        ch.writeAndFlush(buf, promise: nil)
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

    /// Every message waiting, or, when none is, those that arrive within `timeout` (empty: none).
    public func nextBatch(timeout: Double) throws -> [NATSMessage] {
        try connection.state.takeAll(sid: sid, timeout: timeout)
    }

    /// Messages dropped because the queue was full.
    public var dropped: Int { connection.state.dropped(sid: sid) }

    public func unsubscribe() {
        connection.state.unregister(sid: sid)
        try? connection.write(NATSProtocol.unsubscribe(sid: sid))
    }
}
