import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server for `/metrics`, `/healthz` and `/readyz`, on one SwiftNIO event loop.
///
/// Why SwiftNIO and not a hand-written socket loop: keep-alive, pipelining, partial reads and
/// malformed requests are handled by a well-kept HTTP parser; this type only routes three GET paths.
/// Anything else is 404 (unknown path) or 405 (other methods). No authentication: the address is
/// loopback by default and the README says to put a proxy in front when exposing it.
public final class MetricsServer: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    /// The port actually bound (useful with port 0).
    public let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.group = group
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    /// Binds `host:port` and starts serving; throws `MetricsError.bind` with the reason if it cannot.
    public static func start(host: String, port: Int, metrics: TailMetrics) throws -> MetricsServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(MetricsHandler(metrics: metrics))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        do {
            let channel = try bootstrap.bind(host: host, port: port).wait()
            return MetricsServer(group: group, channel: channel)
        } catch {
            try? group.syncShutdownGracefully()
            throw MetricsError.bind("\(host):\(port)", "\(error)")
        }
    }

    /// Stops listening and shuts the event loop down.
    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Why the metrics endpoint could not start.
public enum MetricsError: Error, CustomStringConvertible {
    case bind(String, String)
    case address(String)

    public var description: String {
        switch self {
        case .bind(let a, let why): return "cannot listen on \(a) for metrics: \(why)"
        case .address(let a): return "--metrics-address '\(a)' is not HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464)"
        }
    }

    /// Splits "HOST:PORT" (IPv6 in brackets) into its parts, or throws `.address`.
    public static func parse(_ s: String) throws -> (host: String, port: Int) {
        guard let colon = s.lastIndex(of: ":") else { throw MetricsError.address(s) }
        var host = String(s[..<colon])
        guard let port = Int(s[s.index(after: colon)...]), (0...65_535).contains(port), !host.isEmpty else { throw MetricsError.address(s) }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { throw MetricsError.address(s) }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw MetricsError.address(s)
        }
        return (host, port)
    }
}

/// Routes one HTTP request at a time (HTTP/1.1 keeps order per connection).
final class MetricsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let metrics: TailMetrics
    private var head: HTTPRequestHead?

    init(metrics: TailMetrics) { self.metrics = metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break   // GET has no body worth reading; anything sent is discarded.
        case .end:
            guard let h = head else { return }
            head = nil
            respond(to: h, context: context)
        }
    }

    private func respond(to h: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = h.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? h.uri
        var status = HTTPResponseStatus.ok
        var body: [UInt8]
        var type = "text/plain; charset=utf-8"
        if h.method != .GET && h.method != .HEAD {
            status = .methodNotAllowed
            body = Array("only GET and HEAD\n".utf8)
        } else {
            switch path {
            case "/metrics":
                body = metrics.render()
                type = "text/plain; version=0.0.4; charset=utf-8"
            case "/healthz":
                let l = metrics.health.liveness()
                status = l.ok ? .ok : .serviceUnavailable
                body = Array(l.text.utf8)
            case "/readyz":
                let r = metrics.health.readiness()
                status = r.ok ? .ok : .serviceUnavailable
                body = Array(r.text.utf8)
            default:
                status = .notFound
                body = Array("not found: try /metrics, /healthz or /readyz\n".utf8)
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        let keepAlive = h.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: status, headers: headers))), promise: nil)
        if h.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }
}
