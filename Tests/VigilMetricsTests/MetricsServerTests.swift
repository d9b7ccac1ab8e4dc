import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import VigilMetrics

/// The operator's view of a running tail: what `/metrics`, `/healthz` and `/readyz` answer, read
/// over real HTTP from a server bound to a loopback port.
@Suite struct MetricsServerTests {
    /// GET `path` from the server: (status, body).
    static func get(_ port: Int, _ path: String, method: String = "GET") throws -> (Int, String) {
        var req = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        req.httpMethod = method
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String)?
        nonisolated(unsafe) var failure: Error?
        URLSession.shared.dataTask(with: req) { data, response, error in
            if let error { failure = error } else {
                result = ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self))
            }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw failure }
        return result!
    }

    /// The value of one series line (`name{labels} value`) in an exposition, or nil.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metrics_afterTwoReadings_countersRiseByTheDifferenceAndGaugesAreSet() throws {
        let m = TailMetrics(checkpoints: true, wallClock: { 1_764_000_100 })
        let server = try MetricsServer.start(host: "127.0.0.1", port: 0, metrics: m)
        defer { server.stop() }
        var r = TailReading()
        r.recordsByFormat = ["cloudtrail": 10, "unparsed": 1]
        r.events = 9
        r.deadLetters = ["not-json": 1]
        r.alertsBySeverity = ["high": 2]
        r.principalsTracked = 4
        r.incidentsOpen = 1
        r.newestEventMillis = 1_764_000_000_000
        r.webhookQueueDepth = 3
        r.webhookRetries = 5
        r.quarantineActions = ["planned": 1]
        r.checkpointAgeSeconds = 2.5
        m.update(r)
        r.recordsByFormat["cloudtrail"] = 25
        r.recordsByFormat["gcp-audit"] = 4
        r.events = 28
        r.alertsBySeverity["critical"] = 1
        r.principalsTracked = 6
        r.webhookQueueDepth = 0
        m.update(r)
        let (status, text) = try Self.get(server.port, "/metrics")
        #expect(status == 200)
        #expect(Self.value(text, #"vigil_records_total{format="cloudtrail"}"#) == 25)
        #expect(Self.value(text, #"vigil_records_total{format="gcp-audit"}"#) == 4)
        #expect(Self.value(text, #"vigil_records_total{format="unparsed"}"#) == 1)
        #expect(Self.value(text, "vigil_events_total") == 28)
        #expect(Self.value(text, #"vigil_dead_letters_total{reason="not-json"}"#) == 1)
        #expect(Self.value(text, #"vigil_dead_letters_total{reason="missing-time"}"#) == 0)
        #expect(Self.value(text, #"vigil_alerts_total{severity="high"}"#) == 2)
        #expect(Self.value(text, #"vigil_alerts_total{severity="critical"}"#) == 1)
        #expect(Self.value(text, #"vigil_alerts_total{severity="low"}"#) == 0)
        #expect(Self.value(text, "vigil_principals_tracked") == 6)
        #expect(Self.value(text, "vigil_incidents_open") == 1)
        #expect(Self.value(text, "vigil_webhook_queue_depth") == 0)
        #expect(Self.value(text, "vigil_webhook_retries_total") == 5)
        #expect(Self.value(text, #"vigil_quarantine_actions_total{result="planned"}"#) == 1)
        #expect(Self.value(text, "vigil_checkpoint_age_seconds") == 2.5)
        #expect(Self.value(text, "vigil_event_time_lag_seconds") == 100)
        #expect(text.contains("# TYPE vigil_events_total counter"))
    }

    @Test func metrics_withoutState_hasNoCheckpointAgeSeries() throws {
        let m = TailMetrics(checkpoints: false)
        m.update(TailReading())
        let text = String(decoding: m.render(), as: UTF8.self)
        #expect(!text.contains("vigil_checkpoint_age_seconds"))
        #expect(Self.value(text, "vigil_event_time_lag_seconds") == 0)
    }

    @Test func health_beforeFirstPass_isUnhealthyAndNotReady_thenOk_thenStalled_thenOkAgain() throws {
        nonisolated(unsafe) var now = 1000.0
        let health = Health(staleAfter: 30, clock: { now })
        let m = TailMetrics(checkpoints: false, health: health)
        let server = try MetricsServer.start(host: "127.0.0.1", port: 0, metrics: m)
        defer { server.stop() }
        #expect(try Self.get(server.port, "/healthz").0 == 503)
        #expect(try Self.get(server.port, "/readyz").0 == 503)
        health.beat()
        health.markReady()
        #expect(try Self.get(server.port, "/healthz") == (200, "ok\n"))
        #expect(try Self.get(server.port, "/readyz") == (200, "ready\n"))
        now += 31
        let stalled = try Self.get(server.port, "/healthz")
        #expect(stalled.0 == 503 && stalled.1.contains("stalled"))
        health.beat()
        #expect(try Self.get(server.port, "/healthz").0 == 200)
    }

    @Test func server_otherPathsAndMethods_areRefused() throws {
        let server = try MetricsServer.start(host: "127.0.0.1", port: 0, metrics: TailMetrics(checkpoints: false))
        defer { server.stop() }
        #expect(try Self.get(server.port, "/").0 == 404)
        #expect(try Self.get(server.port, "/metrics", method: "POST").0 == 405)
        #expect(try Self.get(server.port, "/metrics?x=1").0 == 200)
    }

    @Test func server_portInUse_throwsBindErrorNamingTheAddress() throws {
        let first = try MetricsServer.start(host: "127.0.0.1", port: 0, metrics: TailMetrics(checkpoints: false))
        defer { first.stop() }
        #expect { try MetricsServer.start(host: "127.0.0.1", port: first.port, metrics: TailMetrics(checkpoints: false)) } throws: { e in
            "\(e)".contains("cannot listen on 127.0.0.1:\(first.port)")
        }
    }

    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9464", "::1", 9464), ("0.0.0.0:0", "0.0.0.0", 0),
        ("localhost:80", "localhost", 80),
    ])
    func parse_validAddresses(_ s: String, _ host: String, _ port: Int) throws {
        let a = try MetricsError.parse(s)
        #expect(a.host == host && a.port == port)
    }

    @Test(arguments: ["9464", ":9464", "127.0.0.1:", "127.0.0.1:70000", "::1:9464", "[::1:9464", "host:port"])
    func parse_invalidAddresses_throw(_ s: String) {
        #expect(throws: MetricsError.self) { try MetricsError.parse(s) }
    }
}
