import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// One webhook receiver. The URL may carry a token, so it is never logged or written anywhere but
/// the request: logs and the audit trail name the target by `key` (a hash) and `display` (scheme
/// and host only).
public struct WebhookTarget: Sendable {
    public var url: URL
    public var format: WebhookFormat
    public var secret: [UInt8]?

    public init(url: URL, format: WebhookFormat, secret: [UInt8]?) {
        self.url = url
        self.format = format
        self.secret = secret
    }

    public var key: String { Digest.sha256Hex(url.absoluteString, hexDigits: 12) }
    public var display: String {
        "\(url.scheme ?? "?")://\(url.host ?? "?")" + (url.port.map { ":\($0)" } ?? "")
    }
}

/// How hard to try: exponential backoff with jitter between attempts, then give up.
public struct RetryPolicy: Sendable {
    public var initialSeconds = 1.0
    public var maxSeconds = 300.0
    public var giveUpAfterSeconds = 86_400.0
    public var timeoutSeconds = 10.0
    public init() {}

    /// Delay before attempt `n + 1` after `n` failures: initial·2^(n−1), capped, times a random
    /// factor in [0.5, 1.5) so that many Vigils do not retry in step.
    func delay(afterFailures n: Int) -> Double {
        let base = min(maxSeconds, initialSeconds * pow(2, Double(max(0, n - 1))))
        return base * Double.random(in: 0.5..<1.5)
    }
}

/// Delivers queued alerts to webhooks on its own thread: detection only writes the outbox and never
/// waits for a receiver. Each request carries `Idempotency-Key: <alert id>` (receivers de-duplicate:
/// delivery is at-least-once), `X-Vigil-Timestamp` and, with a secret, `X-Vigil-Signature`
/// (HMAC-SHA256 over timestamp and body). 2xx is delivered; 408, 429, 5xx, timeouts and connection
/// errors are retried with backoff; another 4xx is a permanent refusal and is given up at once.
public final class WebhookSender: @unchecked Sendable {
    let targets: [String: WebhookTarget]
    let outbox: Outbox
    let retry: RetryPolicy
    let audit: AuditTrail?
    let log: @Sendable (String) -> Void
    private let cond = NSCondition()
    private var attempts: [Outbox.Entry: (failures: Int, next: Double, first: Double)] = [:]
    private var order: [Outbox.Entry] = []
    private var stopping = false
    private var finished = false
    private var inFlight = false
    private let session: URLSession
    private var retried = 0
    private var gaveUp = 0

    /// Deliveries waiting (queued or backing off), retries so far, and alerts given up on: for the
    /// operator's metrics (read from another thread; O(1)).
    public var queueStats: (depth: Int, retries: Int, gaveUp: Int) {
        cond.lock()
        defer { cond.unlock() }
        return (order.count, retried, gaveUp)
    }

    public init(targets: [WebhookTarget], outbox: Outbox, retry: RetryPolicy, audit: AuditTrail?,
                log: @escaping @Sendable (String) -> Void) {
        self.targets = Dictionary(targets.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        self.outbox = outbox
        self.retry = retry
        self.audit = audit
        self.log = log
        let cfg = URLSessionConfiguration.ephemeral
        cfg.timeoutIntervalForRequest = retry.timeoutSeconds
        cfg.timeoutIntervalForResource = retry.timeoutSeconds
        cfg.httpMaximumConnectionsPerHost = 1
        session = URLSession(configuration: cfg)
        for e in outbox.pending() where self.targets[e.target] != nil {   // left by an earlier run
            order.append(e)
            attempts[e] = (0, 0, WebhookSender.now())
        }
        let t = Thread { [self] in loop() }
        t.start()
    }

    /// Queues `alert` for every target (durably, before returning).
    public func submit(_ alert: Alert) throws {
        for t in targets.values.sorted(by: { $0.key < $1.key }) {
            let e = Outbox.Entry(target: t.key, alertID: alert.id)
            let body = Array(WebhookPayload.render(alert, as: t.format).utf8)
            try outbox.put(e, body: body)
            cond.lock()
            if attempts[e] == nil {
                attempts[e] = (0, 0, WebhookSender.now())
                order.append(e)
            }
            cond.broadcast()
            cond.unlock()
        }
    }

    /// Stops after at most `drainSeconds` of trying to empty the queue; what is left stays in the
    /// outbox for the next run. Returns how many are left.
    @discardableResult
    public func stop(drainSeconds: Double) -> Int {
        let deadline = WebhookSender.now() + drainSeconds
        cond.lock()
        while !order.isEmpty && WebhookSender.now() < deadline {
            _ = cond.wait(until: Date(timeIntervalSinceNow: min(0.1, max(0.01, deadline - WebhookSender.now()))))
        }
        stopping = true
        cond.broadcast()
        while !finished { cond.wait() }
        let left = order.count
        cond.unlock()
        return left
    }

    private func loop() {
        cond.lock()
        while !stopping {
            let now = WebhookSender.now()
            guard let e = order.first(where: { (attempts[$0]?.next ?? 0) <= now }) else {
                let next = order.compactMap { attempts[$0]?.next }.min()
                _ = cond.wait(until: Date(timeIntervalSinceNow: next.map { max(0.005, min(1, $0 - now)) } ?? 1))
                continue
            }
            inFlight = true
            cond.unlock()
            let outcome = deliver(e)
            cond.lock()
            inFlight = false
            switch outcome {
            case .delivered(let status):
                order.removeAll { $0 == e }
                let tries = (attempts.removeValue(forKey: e)?.failures ?? 0) + 1
                outbox.remove(e)
                try? audit?.append("webhook-delivered", [("alert", .string(e.alertID)), ("target", .string(e.target)),
                                                          ("status", .int(status)), ("attempts", .int(tries))])
            case .retry(let why):
                var a = attempts[e] ?? (0, 0, now)
                a.failures += 1
                retried += 1
                if now - a.first >= retry.giveUpAfterSeconds {
                    giveUp(e, why: why, attempts: a.failures)
                } else {
                    a.next = WebhookSender.now() + retry.delay(afterFailures: a.failures)
                    attempts[e] = a
                    // Move it behind the others so one failing alert does not hold up the rest.
                    order.removeAll { $0 == e }
                    order.append(e)
                    if a.failures == 1 || a.failures % 10 == 0 {
                        log("webhook \(targets[e.target]?.display ?? e.target): \(why); alert \(e.alertID) will be retried (attempt \(a.failures + 1))")
                    }
                }
            case .refused(let status):
                giveUp(e, why: "refused with HTTP \(status)", attempts: (attempts[e]?.failures ?? 0) + 1)
            }
            cond.broadcast()
        }
        finished = true
        cond.broadcast()
        cond.unlock()
    }

    private func giveUp(_ e: Outbox.Entry, why: String, attempts n: Int) {
        order.removeAll { $0 == e }
        attempts[e] = nil
        gaveUp += 1
        outbox.bury(e)
        log("webhook \(targets[e.target]?.display ?? e.target): gave up on alert \(e.alertID) after \(n) attempt(s): \(why) (kept in outbox/dead)")
        try? audit?.append("webhook-gave-up", [("alert", .string(e.alertID)), ("target", .string(e.target)),
                                                ("reason", .string(why)), ("attempts", .int(n))])
    }

    enum Outcome { case delivered(Int), retry(String), refused(Int) }

    private func deliver(_ e: Outbox.Entry) -> Outcome {
        guard let t = targets[e.target], let body = outbox.body(e) else { return .refused(0) }
        var req = URLRequest(url: t.url)
        req.httpMethod = "POST"
        req.httpBody = Data(body)
        req.timeoutInterval = retry.timeoutSeconds
        req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        req.setValue("vigil/1", forHTTPHeaderField: "User-Agent")
        req.setValue(e.alertID, forHTTPHeaderField: "Idempotency-Key")
        let ts = Int64(Date().timeIntervalSince1970)
        req.setValue(String(ts), forHTTPHeaderField: "X-Vigil-Timestamp")
        if let s = t.secret {
            req.setValue(WebhookPayload.signature(secret: s, timestamp: ts, body: body), forHTTPHeaderField: "X-Vigil-Signature")
        }
        let done = DispatchSemaphore(value: 0)
        let result = Box()
        session.dataTask(with: req) { _, response, error in
            if let error { result.error = error.localizedDescription }
            result.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + retry.timeoutSeconds + 5) == .timedOut { return .retry("no answer in \(Int(retry.timeoutSeconds)) s") }
        if let err = result.error { return .retry(err) }
        switch result.status {
        case 200..<300: return .delivered(result.status)
        case 408, 429, 500..<600: return .retry("HTTP \(result.status)")
        case 0: return .retry("no HTTP response")
        default: return .refused(result.status)
        }
    }

    final class Box: @unchecked Sendable {
        var status = 0
        var error: String?
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
