import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange: what AWS's APIs need (a method, a URL, headers, a small body) and what they
/// answer (a status, headers, the whole body).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A request that got no HTTP answer at all (refused, reset, timed out, TLS refused).
public struct HTTPTransportError: Error, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "\(url): \(reason)" }
}

/// Sends requests and waits for their answers, over Foundation's `URLSession`.
///
/// Why `URLSession` and not SwiftNIO's HTTP client: Vigil already links it for webhooks, it
/// verifies TLS certificates against the system's trust store (libcurl on Linux), and it costs the
/// build nothing, where async-http-client would add its dependency graph to every clone's build.
/// Calls are synchronous (the caller's thread waits), and safe from many threads at once: the
/// S3 reader fetches several objects concurrently through one transport.
///
/// `Accept-Encoding: identity` is always sent, so an object stored with `Content-Encoding: gzip`
/// (CloudTrail's) arrives as stored and is decoded by Vigil's own decoders, as a file would be.
public final class HTTPTransport: Sendable {
    private let session: URLSession
    public let timeoutSeconds: Double

    public init(timeoutSeconds: Double = 30, connectionsPerHost: Int = 8) {
        self.timeoutSeconds = timeoutSeconds
        let cfg = URLSessionConfiguration.ephemeral
        cfg.timeoutIntervalForRequest = timeoutSeconds
        cfg.timeoutIntervalForResource = timeoutSeconds * 10
        cfg.httpMaximumConnectionsPerHost = connectionsPerHost
        cfg.requestCachePolicy = .reloadIgnoringLocalCacheData
        cfg.urlCache = nil
        cfg.httpCookieStorage = nil
        session = URLSession(configuration: cfg)
    }

    public func send(_ r: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
        guard let url = URL(string: r.url) else { throw HTTPTransportError(url: r.url, reason: "not a URL") }
        var req = URLRequest(url: url)
        req.httpMethod = r.method
        req.timeoutInterval = timeoutSeconds
        if !r.body.isEmpty || r.method == "POST" || r.method == "PUT" { req.httpBody = Data(r.body) }
        req.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        req.setValue("vigil/1", forHTTPHeaderField: "User-Agent")
        for (n, v) in r.headers { req.setValue(v, forHTTPHeaderField: n) }
        final class Box: @unchecked Sendable {
            var response: HTTPResponse?
            var error: String?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: req) { data, response, error in
            if let error {
                box.error = error.localizedDescription
            } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (k, v) in http.allHeaderFields {
                    if let k = k as? String, let v = v as? String { headers[k.lowercased()] = v }
                }
                box.response = HTTPResponse(status: http.statusCode, headers: headers, body: data.map { [UInt8]($0) } ?? [])
            } else {
                box.error = "no HTTP response"
            }
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + timeoutSeconds * 10 + 5) == .timedOut {
            throw HTTPTransportError(url: Self.redacted(r.url), reason: "no answer in \(Int(timeoutSeconds * 10)) s")
        }
        if let e = box.error { throw HTTPTransportError(url: Self.redacted(r.url), reason: e) }
        return box.response!
    }

    /// A URL as it may appear in an error: scheme, host and path, never the query (a presigned or
    /// paginated query can carry tokens).
    public static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }
}

/// How AWS calls are retried: throttling (429, 503 `SlowDown`, `Throttling…` codes), 500/502/504
/// and transport failures, with capped exponential backoff and full jitter, as the AWS SDKs'
/// standard mode does. Other 4xx answers are final: retrying a denied or missing object does not
/// help, and the caller dead-letters or reports it.
public struct AWSRetryPolicy: Sendable {
    public var maxAttempts = 5
    public var baseSeconds = 0.1
    public var maxBackoffSeconds = 20.0

    public init() {}

    /// Seconds to wait after failed attempt `attempt` (1-based): uniform in [0, min(cap, base·2^attempt)).
    public func delay(afterAttempt attempt: Int) -> Double {
        let ceiling = min(maxBackoffSeconds, baseSeconds * Double(1 << min(attempt, 20)))
        return Double.random(in: 0..<ceiling)
    }

    /// Whether an answer is worth another attempt.
    public static func retryable(_ r: HTTPResponse) -> Bool {
        switch r.status {
        case 429, 500, 502, 503, 504: return true
        case 400, 403:
            let t = r.text
            return t.contains("Throttling") || t.contains("RequestTimeout") || t.contains("SlowDown") || t.contains("RequestTimeTooSkewed")
        default: return false
        }
    }
}
