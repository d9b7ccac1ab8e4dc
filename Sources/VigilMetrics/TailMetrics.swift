import CoreMetrics
import Foundation
import Prometheus

/// What the tail loop knows after a pass, as plain numbers: cumulative counts since start and
/// current levels. The loop fills one per pass; `TailMetrics` turns it into Prometheus series.
public struct TailReading: Sendable {
    /// Records read, by format ("unparsed" when none was recognised), duplicates included.
    public var recordsByFormat: [String: Int] = [:]
    /// Events processed (after de-duplication).
    public var events = 0
    /// Dead-lettered records and damaged input, by reason.
    public var deadLetters: [String: Int] = [:]
    /// Alerts written, by severity.
    public var alertsBySeverity: [String: Int] = [:]
    public var incidentsOpen = 0
    public var principalsTracked = 0
    public var principalsEvicted = 0
    /// Newest event time seen, Unix milliseconds (nil before the first event).
    public var newestEventMillis: Int64?
    /// Webhook deliveries waiting (queued or backing off), and retries so far.
    public var webhookQueueDepth = 0
    public var webhookRetries = 0
    /// Quarantine decisions by result (planned, executed, skipped, failed, released, release-failed).
    public var quarantineActions: [String: Int] = [:]
    /// Seconds processed records have waited for a checkpoint (nil without --state).
    public var checkpointAgeSeconds: Double?
    /// Counters of the sources other than files (`s3_objects_read`, `sqs_messages_deleted`, …):
    /// each becomes `vigil_<name>_total`; names ending in `_seconds` are gauges `vigil_<name>`.
    public var sourceCounters: [String: Int64] = [:]

    public init() {}
}

/// Vigil's series in a Prometheus registry, fed from `TailReading`s.
///
/// Why cumulative readings and deltas: the stages already count (cheaply, per event, on the detection
/// thread); publishing those counts once per pass keeps metric emission out of the hot loop
/// (STYLE: count locally, publish per batch). Counters only ever rise by the difference to the
/// previous reading. The lag gauge is computed when scraped, from the newest event time and the wall
/// clock, so it keeps rising while the inputs are silent: the signal an operator alerts on.
///
/// The registry is also installed as swift-metrics' backend (`bootstrapMetricsSystem`), so any
/// library instrumented with swift-metrics reports to the same `/metrics`.
public final class TailMetrics: @unchecked Sendable {
    public let registry: PrometheusCollectorRegistry
    public let health: Health
    private let lock = NSLock()
    private var previous = TailReading()
    private var newest: Int64?
    private let wallClock: @Sendable () -> Double

    private let events: Prometheus.Counter
    private let incidentsOpen: Prometheus.Gauge
    private let principalsTracked: Prometheus.Gauge
    private let principalsEvicted: Prometheus.Counter
    private let lag: Prometheus.Gauge
    private let queueDepth: Prometheus.Gauge
    private let retries: Prometheus.Counter
    private let checkpointAge: Prometheus.Gauge?
    private var labelled: [String: Prometheus.Counter] = [:]
    private var sourceSeries: [String: (counter: Prometheus.Counter?, gauge: Prometheus.Gauge?)] = [:]

    /// Known label values, registered at 0 so dashboards and alert rules see the series from the start.
    static let severities = ["info", "low", "medium", "high", "critical"]
    static let quarantineResults = ["planned", "executed", "skipped", "failed", "released", "release-failed"]
    /// The reasons framing and parsing give most often (others appear when first counted).
    static let commonDeadLetters = ["not-json", "truncated-record", "record-too-large", "missing-time"]

    /// `checkpoints`: whether a state directory is in use (else no checkpoint-age series).
    public init(checkpoints: Bool, health: Health = Health(),
                wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        let r = PrometheusCollectorRegistry()
        registry = r
        self.health = health
        self.wallClock = wallClock
        events = r.makeCounter(name: "vigil_events_total", help: "Events processed (after de-duplication).")
        incidentsOpen = r.makeGauge(name: "vigil_incidents_open", help: "Incidents whose last alert is within the incident gap (event time).")
        principalsTracked = r.makeGauge(name: "vigil_principals_tracked", help: "Principals with a baseline in memory.")
        principalsEvicted = r.makeCounter(name: "vigil_principals_evicted_total", help: "Principals evicted at the principal cap.")
        lag = r.makeGauge(name: "vigil_event_time_lag_seconds", help: "Wall clock minus the newest event time seen.")
        queueDepth = r.makeGauge(name: "vigil_webhook_queue_depth", help: "Webhook deliveries queued or backing off.")
        retries = r.makeCounter(name: "vigil_webhook_retries_total", help: "Webhook delivery attempts that failed and will be retried.")
        checkpointAge = checkpoints ? r.makeGauge(name: "vigil_checkpoint_age_seconds", help: "Seconds processed records have waited for a checkpoint (0: all checkpointed).") : nil
        for s in Self.severities { _ = counter("vigil_alerts_total", "severity", s) }
        for q in Self.quarantineResults { _ = counter("vigil_quarantine_actions_total", "result", q) }
        for d in Self.commonDeadLetters { _ = counter("vigil_dead_letters_total", "reason", d) }
    }

    /// Installs this registry as swift-metrics' process-wide backend (once per process).
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    private static let help = [
        "vigil_records_total": "Records read, by format (unparsed: no format recognised), duplicates included.",
        "vigil_dead_letters_total": "Records and input damage dead-lettered, by reason.",
        "vigil_alerts_total": "Alerts written, by severity.",
        "vigil_quarantine_actions_total": "Quarantine decisions, by result.",
    ]

    /// The counter for one label value, registered on first use (callers hold `lock` or are in init).
    private func counter(_ name: String, _ label: String, _ value: String) -> Prometheus.Counter {
        let key = name + "\u{0}" + value
        if let c = labelled[key] { return c }
        let c = registry.makeCounter(name: name, labels: [(label, value)], help: Self.help[name] ?? "")
        labelled[key] = c
        return c
    }

    /// Publishes one reading: counters rise by the change since the previous one, gauges are set.
    /// O(labels). Called by the tail loop after each pass.
    public func update(_ now: TailReading) {
        lock.lock()
        defer { lock.unlock() }
        func rise(_ c: Prometheus.Counter, _ new: Int, _ old: Int) { if new > old { c.increment(by: Int64(new - old)) } }
        func rise(_ name: String, _ label: String, _ new: [String: Int], _ old: [String: Int]) {
            for (k, v) in new { rise(counter(name, label, k), v, old[k] ?? 0) }
        }
        rise("vigil_records_total", "format", now.recordsByFormat, previous.recordsByFormat)
        rise(events, now.events, previous.events)
        rise("vigil_dead_letters_total", "reason", now.deadLetters, previous.deadLetters)
        rise("vigil_alerts_total", "severity", now.alertsBySeverity, previous.alertsBySeverity)
        rise(principalsEvicted, now.principalsEvicted, previous.principalsEvicted)
        rise(retries, now.webhookRetries, previous.webhookRetries)
        rise("vigil_quarantine_actions_total", "result", now.quarantineActions, previous.quarantineActions)
        incidentsOpen.set(Int64(now.incidentsOpen))
        principalsTracked.set(Int64(now.principalsTracked))
        queueDepth.set(Int64(now.webhookQueueDepth))
        if let g = checkpointAge { g.set(now.checkpointAgeSeconds ?? 0) }
        for (name, v) in now.sourceCounters {
            if sourceSeries[name] == nil {
                sourceSeries[name] = name.hasSuffix("_seconds")
                    ? (nil, registry.makeGauge(name: "vigil_" + name, help: "Source gauge \(name) (see --stats)."))
                    : (registry.makeCounter(name: "vigil_\(name)_total", help: "Source counter \(name) (see --stats)."), nil)
            }
            let series = sourceSeries[name]!
            if let g = series.gauge { g.set(v) }
            if let c = series.counter, v > previous.sourceCounters[name] ?? 0 { c.increment(by: v - (previous.sourceCounters[name] ?? 0)) }
        }
        newest = now.newestEventMillis
        previous = now
    }

    /// The Prometheus text exposition of every series, with the lag as of now.
    public func render() -> [UInt8] {
        lock.withLock {
            // Before the first event there is no lag to speak of: 0, and the events counter says why.
            lag.set(newest.map { max(0, wallClock() - Double($0) / 1000) } ?? 0)
        }
        return registry.emitToBuffer()
    }
}
