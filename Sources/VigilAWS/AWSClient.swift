import Foundation
import VigilCore

/// Errors of AWS calls, in plain words: the operation, the service's error code and what to check.
/// Never carries a secret or a signed URL.
public enum AWSError: Error, CustomStringConvertible, Equatable {
    case credentials(String)
    /// The service answered with an error: operation, HTTP status, AWS error code, message.
    case service(operation: String, status: Int, code: String, message: String)
    /// No answer after every retry.
    case unreachable(operation: String, reason: String)
    case badAnswer(operation: String, reason: String)

    public var description: String {
        switch self {
        case .credentials(let s): return "AWS credentials: \(s)"
        case .service(let op, let status, let code, let message):
            let hint: String
            switch code {
            case "AccessDenied", "AccessDeniedException": hint = " (check the IAM policy: see the README's section on reading from S3 and SQS)"
            case "NoSuchBucket": hint = " (check the bucket name and region)"
            case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken": hint = " (check the credentials the chain found)"
            default: hint = ""
            }
            return "\(op): HTTP \(status) \(code)\(message.isEmpty ? "" : ": " + message)\(hint)"
        case .unreachable(let op, let reason): return "\(op): no answer (\(reason))"
        case .badAnswer(let op, let reason): return "\(op): unexpected answer (\(reason))"
        }
    }

    /// The AWS error code, when the service gave one.
    public var code: String? {
        if case .service(_, _, let c, _) = self { return c }
        return nil
    }
}

/// An endpoint's base URL split for signing: `http://127.0.0.1:5000` → host header `127.0.0.1:5000`.
public struct AWSEndpoint: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?

    public init(_ base: String) {
        let parts = base.components(separatedBy: "://")
        scheme = parts.count == 2 ? parts[0] : "https"
        let rest = parts.count == 2 ? parts[1] : base
        let authority = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? rest
        if let colon = authority.lastIndex(of: ":"), let p = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            port = p
        } else {
            host = authority
            port = nil
        }
    }

    /// The `Host` header (the port only when it is not the scheme's default).
    public var hostHeader: String {
        guard let p = port, !(scheme == "https" && p == 443), !(scheme == "http" && p == 80) else { return host }
        return "\(host):\(p)"
    }

    public var base: String { "\(scheme)://\(hostHeader)" }
}

/// Signed calls to one AWS service in one region, retried under ``AWSRetryPolicy``.
///
/// Counters (requests, retries, bytes) are read by `--stats`; they are updated under a lock, since
/// S3 objects are fetched from several threads.
public final class AWSClient: @unchecked Sendable {
    public let service: String
    public private(set) var region: String
    public let endpoint: AWSEndpoint
    public let credentials: CredentialProvider
    public let transport: HTTPTransport
    public var retry = AWSRetryPolicy()
    /// Sleep between attempts (tests make it instant).
    public var sleep: @Sendable (Double) -> Void = { s in if s > 0 { usleep(UInt32(min(s, 60) * 1_000_000)) } }
    private let lock = NSLock()
    private var counters = (requests: 0, retries: 0, bytes: Int64(0))

    public init(service: String, region: String, endpoint: String, credentials: CredentialProvider, transport: HTTPTransport) {
        self.service = service
        self.region = region
        self.endpoint = AWSEndpoint(endpoint)
        self.credentials = credentials
        self.transport = transport
    }

    public var stats: (requests: Int, retries: Int, bytes: Int64) {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    /// Sends `method path?query` (path already encoded once for the wire), signed; answers with
    /// the first final response. 2xx is returned; anything else becomes ``AWSError/service``.
    /// S3's "wrong region" answer (its `x-amz-bucket-region` header) re-signs for that region once.
    public func call(_ operation: String, method: String = "GET", path: String, query: [(name: String, value: String)] = [],
                     headers: [(name: String, value: String)] = [], body: [UInt8] = []) throws -> HTTPResponse {
        var attempt = 0
        var movedRegion = false
        while true {
            attempt += 1
            let creds = try credentials.credentials()
            let payload = service == "s3" && body.isEmpty ? SigV4.emptyPayloadHash : SigV4.payloadHash(body)
            let signable = SignableRequest(method: method, host: endpoint.hostHeader, path: path.isEmpty ? "/" : path,
                                           query: query, headers: headers, payloadHash: payload)
            let signed = SigV4.sign(signable, credentials: creds, region: region, service: service,
                                    at: SigV4.Stamp(epochMillis: Int64(Date().timeIntervalSince1970 * 1000)), s3: service == "s3")
            let q = signable.encodedQuery
            let url = endpoint.base + signable.path + (q.isEmpty ? "" : "?" + q)
            let answer: HTTPResponse
            do {
                answer = try transport.send(HTTPRequest(method: method, url: url, headers: headers + signed.headers, body: body))
                lock.lock(); counters.requests += 1; counters.bytes += Int64(answer.body.count); lock.unlock()
            } catch {
                lock.lock(); counters.requests += 1; lock.unlock()
                guard attempt < retry.maxAttempts else { throw AWSError.unreachable(operation: operation, reason: error.reason) }
                backoff(attempt)
                continue
            }
            if (200..<300).contains(answer.status) { return answer }
            if !movedRegion, let r = answer.headers["x-amz-bucket-region"], r != region, [301, 307, 400].contains(answer.status) {
                movedRegion = true
                lock.lock(); region = r; lock.unlock()
                continue
            }
            if AWSRetryPolicy.retryable(answer), attempt < retry.maxAttempts {
                backoff(attempt)
                continue
            }
            throw Self.serviceError(operation, answer)
        }
    }

    private func backoff(_ attempt: Int) {
        lock.lock(); counters.retries += 1; lock.unlock()
        sleep(retry.delay(afterAttempt: attempt))
    }

    /// The error document of an answer: S3's and STS's XML `<Code>`/`<Message>`, SQS's JSON
    /// `__type`/`message`, else the status alone.
    static func serviceError(_ operation: String, _ r: HTTPResponse) -> AWSError {
        let text = r.text
        if let code = XMLText.value("Code", in: text[...]) {
            return .service(operation: operation, status: r.status, code: code, message: XMLText.value("Message", in: text[...]) ?? "")
        }
        if let data = text.data(using: .utf8), let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let type = (obj["__type"] as? String ?? obj["code"] as? String ?? "").split(separator: "#").last.map(String.init) ?? ""
            let message = obj["message"] as? String ?? obj["Message"] as? String ?? ""
            if !type.isEmpty { return .service(operation: operation, status: r.status, code: type, message: message) }
        }
        let code = r.status == 404 ? "NotFound" : r.status == 403 ? "AccessDenied" : "HTTP\(r.status)"
        return .service(operation: operation, status: r.status, code: code, message: "")
    }
}
