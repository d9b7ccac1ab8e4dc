/// # VigilMetrics
///
/// How a running `vigil tail` is watched like any other service: Prometheus metrics at `/metrics`,
/// liveness at `/healthz`, readiness at `/readyz`, served over HTTP by SwiftNIO on one event-loop
/// thread of its own.
///
/// Why a target of its own: it is the only part of Vigil that listens on a socket and the only
/// one that needs SwiftNIO, so its build cost is visible and no stage learns about it. The stages
/// count locally as they always have (`RunStats`, counters); the tail loop hands a `TailReading`
/// (plain numbers) to `TailMetrics.update` once per pass, so nothing is emitted per event.
///
/// Example:
/// ```swift
/// let metrics = TailMetrics()
/// let server = try MetricsServer.start(host: "127.0.0.1", port: 9464, metrics: metrics)
/// metrics.update(reading)          // after every pass of the tail loop
/// metrics.health.markReady()       // state restored, inputs open
/// try server.stop()
/// ```
///
/// The endpoint has no authentication: it is meant for loopback or behind the operator's proxy.
public enum VigilMetricsModule {}
