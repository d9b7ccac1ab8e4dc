import Foundation
import VigilCore
import VigilMetrics
import VigilPipeline

/// `tail --metrics-address`: starts the metrics server and feeds it after every pass of the tail
/// loop. Only wiring: the series are defined in `VigilMetrics.TailMetrics`, the counts come from
/// the engine, the tailer, the state session and the responders, read between passes.
final class TailMonitor {
    let metrics: TailMetrics
    let server: MetricsServer
    private var alerts: [String: Int] = [:]

    /// For a file tail: fed after every pass of `tailer`.
    convenience init(address: String, engine: Engine, tailer: Tailer, session: StateSession?, responders: Responders, quiet: Bool) throws {
        try self.init(address: address, engine: engine, session: session, responders: responders, quiet: quiet,
                      records: { [unowned tailer] in tailer.recordsByFormat }, sources: { [] })
        tailer.afterPass = { [unowned self] in self.pass() }
    }

    /// For a tail of objects (s3://, sqs://): fed after every poll of `tailer`, with the sources' counters.
    convenience init(address: String, engine: Engine, tailer: BatchTailer, session: StateSession?, responders: Responders, quiet: Bool,
                     sources: @escaping () -> [(String, Int64)]) throws {
        try self.init(address: address, engine: engine, session: session, responders: responders, quiet: quiet,
                      records: { [:] }, sources: sources)
        tailer.afterPass = { [unowned self] in self.pass() }
    }

    private var pass: () -> Void = {}

    private init(address: String, engine: Engine, session: StateSession?, responders: Responders, quiet: Bool,
                 records: @escaping () -> [String: Int], sources: @escaping () -> [(String, Int64)]) throws {
        let (host, port) = try MetricsError.parse(address)
        metrics = TailMetrics(checkpoints: session != nil)
        metrics.bootstrapMetricsSystem()
        do { server = try MetricsServer.start(host: host, port: port, metrics: metrics) } catch { throw Failure.usage("\(error)") }
        if !quiet {
            let shown = host.contains(":") ? "[\(host)]" : host
            printError("vigil: metrics on http://\(shown):\(server.port)/metrics (also /healthz, /readyz; no authentication)")
        }
        pass = { [unowned self, unowned engine] in
            var r = self.reading(engine: engine, session: session, responders: responders)
            r.recordsByFormat = records()
            r.sourceCounters = Dictionary(sources(), uniquingKeysWith: { a, _ in a })
            self.metrics.update(r)
            self.metrics.health.beat()
            // The first pass has opened every input (and the checkpoint was restored before it).
            self.metrics.health.markReady()
        }
    }

    /// Counts one alert by severity (called on the loop's thread as each alert is emitted).
    func count(_ a: Alert) { alerts[a.finding.severity.name, default: 0] += 1 }

    private func reading(engine: Engine, session: StateSession?, responders: Responders) -> TailReading {
        var r = TailReading()
        r.events = engine.stats.events
        r.deadLetters = engine.stats.deadLetterReasons
        r.alertsBySeverity = alerts
        let live = engine.liveCounts()
        r.incidentsOpen = live.incidentsOpen
        r.principalsTracked = live.principals
        r.principalsEvicted = live.evicted
        r.newestEventMillis = live.newestEvent
        if let q = responders.sender?.queueStats {
            r.webhookQueueDepth = q.depth
            r.webhookRetries = q.retries
        }
        r.quarantineActions = responders.quarantine?.decisionCounts ?? [:]
        r.checkpointAgeSeconds = session?.checkpointAge
        return r
    }

    func stop() { server.stop() }
}
