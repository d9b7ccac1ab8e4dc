import VigilCore

/// What the report needs from the logs, gathered while they are read through the model: the
/// details of every evidence event, and per alerting principal its events per hour with the rate
/// its baseline expected at the time.
///
/// Why collect during a read rather than store events: a week of logs is millions of events, and the
/// report needs a few hundred of them (the alerts' evidence, at most 100 ids per alert) and one
/// number per principal-hour. Memory: O(evidence ids + alerting principals × hours seen), capped by
/// `maxHours` per principal (the oldest hours are dropped and counted in `hoursDropped`).
public final class ReportCollector {
    /// One evidence event as the timeline shows it (already redacted when `--redact pii`).
    public struct Evidence: Sendable {
        public var time: Int64
        public var action: String
        public var resource: String?
        public var sourceIP: String?
        public var userAgent: String?
        public var status: String
        public var region: String?
    }
    /// One hour of a principal's activity: events seen, and the baseline's usual events per hour at
    /// its last event (nil while the principal had no usual rate yet).
    public struct Hour: Sendable {
        public var events = 0
        public var usual: Double?
    }

    let wanted: Set<String>
    let alerting: Set<String>
    let redact: (String) -> String
    public let maxHours: Int
    public private(set) var evidence: [String: Evidence] = [:]
    /// principal → hour (event time / 1 h) → activity.
    public private(set) var activity: [String: [Int64: Hour]] = [:]
    public private(set) var hoursDropped = 0
    public private(set) var events = 0
    public private(set) var first: Int64?
    public private(set) var last: Int64?
    private var principals: Set<String> = []
    /// Distinct principals counted up to this many (the summary then says "at least").
    public static let principalCountCap = 1_000_000
    private var memo: [String: String] = [:]

    /// `redact` is applied to every string taken from the logs (identity without `--redact`).
    public init(alerts: [ReportAlert], redact: @escaping (String) -> String = { $0 }, maxHours: Int = 24 * 92) {
        wanted = Set(alerts.flatMap(\.events))
        alerting = Set(alerts.map(\.principal))
        self.redact = redact
        self.maxHours = maxHours
    }

    /// Distinct principals seen, and whether the count stopped at `principalCountCap`.
    public var principalCount: (count: Int, capped: Bool) { (principals.count, principals.count >= Self.principalCountCap) }

    /// Notes one processed event. `usualPerHour`: the baseline's usual events per hour for its
    /// principal before this event (the model's `rate_long` baseline). O(1) amortised.
    public func observe(_ e: AccessEvent, usualPerHour: Double?) {
        events += 1
        first = min(first ?? e.time, e.time)
        last = max(last ?? e.time, e.time)
        let p = displayed(e.principal)
        if principals.count < Self.principalCountCap { principals.insert(p) }
        if wanted.contains(e.id), evidence[e.id] == nil {
            let status = e.outcome == .success ? "ok" : (e.errorCode.map(redact) ?? "failed")
            evidence[e.id] = Evidence(time: e.time, action: e.action, resource: e.resource.map(redact), sourceIP: e.sourceIP.map(redact),
                                      userAgent: e.userAgent.map(redact), status: status, region: e.region)
        }
        guard alerting.contains(p) else { return }
        let hour = e.time >= 0 ? e.time / EventTime.hour : (e.time - EventTime.hour + 1) / EventTime.hour
        // Mutated in place (no copy of the principal's hours per event).
        activity[p, default: [:]][hour, default: Hour()].events += 1
        activity[p]![hour]!.usual = usualPerHour
        if activity[p]!.count > maxHours, let oldest = activity[p]!.keys.min() {
            activity[p]![oldest] = nil
            hoursDropped += 1
        }
    }

    /// The principal as alerts name it (redacted the same way), memoised: principals repeat.
    private func displayed(_ principal: String) -> String {
        if let d = memo[principal] { return d }
        let d = redact(principal)
        if memo.count < 100_000 { memo[principal] = d }
        return d
    }
}
