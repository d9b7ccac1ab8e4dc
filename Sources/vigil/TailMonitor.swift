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

    init(address: String, engine: Engine, tailer: Tailer, session: StateSession?, responders: Responders, quiet: Bool) throws {
        let (host, port) = try MetricsError.parse(address)
        metrics = TailMetrics(checkpoints: session != nil)
        metrics.bootstrapMetricsSystem()
        do { server = try MetricsServer.start(host: host, port: port, metrics: metrics) } catch { throw Failure.usage("\(error)") }
        if !quiet {
            let shown = host.contains(":") ? "[\(host)]" : host
            printError("vigil: metrics on http://\(shown):\(server.port)/metrics (also /healthz, /readyz; no authentication)")
        }
        tailer.afterPass = { [unowned self, unowned engine, unowned tailer] in
            self.metrics.update(self.reading(engine: engine, tailer: tailer, session: session, responders: responders))
            self.metrics.health.beat()
            // The first pass has opened every input (and the checkpoint was restored before it).
            self.metrics.health.markReady()
        }
    }

    /// Counts one alert by severity (called on the loop's thread as each alert is emitted).
    func count(_ a: Alert) { alerts[a.finding.severity.name, default: 0] += 1 }

    private func reading(engine: Engine, tailer: Tailer, session: StateSession?, responders: Responders) -> TailReading {
        var r = TailReading()
        r.recordsByFormat = tailer.recordsByFormat
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
