import Foundation
import Testing
import VigilCore
import VigilPipeline
import VigilSimulation
import VigilSources
import VigilTestSupport

/// A small simulated organisation, generated once for the suite.
enum SmallOrg {
    static let output: SimulationOutput = {
        var sim = Simulator(config: SimulationConfig(days: 5, principals: 60, seed: 7))
        return sim.run()
    }()

    static let path: String = {
        let dir = TestSupport.tempDir()
        return write(Array(output.lines.joined(separator: "\n").utf8) + [10], "org.jsonl", in: dir)
    }()
}

@Suite struct EndToEndTests {
    @Test func replayingTheSameInputTwice_givesByteIdenticalAlerts() throws {
        let a = try runEngine([.file(SmallOrg.path)]).alerts.map { $0.jsonLine() }
        let b = try runEngine([.file(SmallOrg.path)]).alerts.map { $0.jsonLine() }
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test func smallOrganisation_attacksAreFoundWithFewFalseIncidents() throws {
        var evaluation = Evaluation(labels: try Labels.parse(SmallOrg.output.labelsCSV))
        let engine = try runEngine([]).engine
        engine.onEvent = { evaluation.observe($0) }
        var alerts: [Alert] = []
        try engine.run([.file(SmallOrg.path)], emit: { alerts.append($0) }, deadLetter: { _ in })
        let stats = engine.stats
        for a in alerts { evaluation.add(a) }
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.report(events: stats.events).utf8)) as! [String: Any]
        print("small organisation eval: \(evaluation.report(events: stats.events))")
        #expect((report["scenarios"] as! Int) >= 10)
        #expect((report["attack_events"] as! Int) == SmallOrg.output.attackEvents)
        #expect((report["recall"] as! Double) >= 0.9)
        #expect((report["false_incidents_per_1000"] as! Double) <= 1.0)
    }

    @Test func trainThenReplayWithModel_startsWarm() throws {
        // Train on the first 60% of the stream, replay the rest with and without the model.
        let lines = SmallOrg.output.lines
        let cut = lines.count * 6 / 10
        let dir = TestSupport.tempDir()
        let history = write(Array(lines[0..<cut].joined(separator: "\n").utf8) + [10], "history.jsonl", in: dir)
        let recent = write(Array(lines[cut...].joined(separator: "\n").utf8) + [10], "recent.jsonl", in: dir)
        let trainer = try runEngine([]).engine
        trainer.detecting = false
        try trainer.run([.file(history)], emit: { _ in Issue.record("train must not alert") }, deadLetter: { _ in })
        let snapshot = trainer.snapshot()
        let data = try JSONEncoder().encode(snapshot)
        let restored = try JSONDecoder().decode(ModelSnapshot.self, from: data)
        let warm = try runEngine([.file(recent)], snapshot: restored)
        let again = try runEngine([.file(recent)], snapshot: restored)
        #expect(warm.alerts.map { $0.jsonLine() } == again.alerts.map { $0.jsonLine() })
        #expect(warm.stats.principals >= snapshot.baseline.counters.principalsCreated - snapshot.baseline.counters.principalsEvicted)
        // A cold engine sees every principal as new: it holds back far more of the stream than a warm one.
        let cold = try runEngine([.file(recent)])
        #expect(warm.engine.snapshot().eventsLearned > cold.engine.snapshot().eventsLearned)
    }

    @Test func directoryInputs_areOrderedByCloudTrailFileTime() throws {
        let dir = TestSupport.tempDir()
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
        _ = write(Array((TestSupport.cloudTrail(id: "late", time: "2026-11-02T11:00:00Z") + "\n").utf8),
                  "b/1_CloudTrail_us-east-1_20261102T1100Z_x.json", in: dir)
        _ = write(Array((TestSupport.cloudTrail(id: "early", time: "2026-11-02T10:00:00Z") + "\n").utf8),
                  "1_CloudTrail_us-east-1_20261102T1000Z_y.json", in: dir)
        let inputs = try InputPlanner.expand([dir])
        #expect(inputs.map { $0.name.split(separator: "/").last.map(String.init) ?? "" } ==
                ["1_CloudTrail_us-east-1_20261102T1000Z_y.json", "1_CloudTrail_us-east-1_20261102T1100Z_x.json"])
        let (_, _, stats, _) = try runEngine(inputs)
        #expect(stats.events == 2 && stats.late == 0)
    }
}

@Suite struct DriftTests {
    /// A stream whose behaviour changes wholesale (every principal starts moving gigabytes) raises
    /// one info finding naming the drifted feature, and reports the statistic in stats.
    @Test func engine_whenFeatureDistributionShifts_raisesInfoDriftFinding() throws {
        var lines: [String] = []
        let t0 = EventTime.parse("2026-11-02T00:00:00Z")!
        for i in 0..<6000 {
            let t = EventTime.format(t0 + Int64(i) * 10_000)
            let bytes = i < 3000 ? 1_000 : 900_000_000
            lines.append(#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u\#(i % 5)"},"eventTime":"\#(t)","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","additionalEventData":{"bytesTransferredOut":\#(bytes)},"eventID":"d\#(i)"}"#)
        }
        let path = write(Array(lines.joined(separator: "\n").utf8), "shift.jsonl", in: TestSupport.tempDir())
        var config = EngineConfig()
        config.driftWindow = 512
        let (alerts, _, stats, _) = try runEngine([.file(path)], config: config)
        let drift = alerts.filter { $0.finding.rule == "feature-drift" }
        #expect(!drift.isEmpty)
        #expect(drift.allSatisfy { $0.finding.severity == .info && $0.finding.principal == "vigil:model" })
        #expect(drift.first?.finding.reasons.contains { $0.feature == "bytes_out" } == true)
        #expect(stats.driftFindings == drift.count)
        #expect(stats.jsonLine().contains("\"drift_ks\":{\"rate_burst\":"))
    }
}

@Suite struct ThreadingTests {
    @Test func readingAhead_onASecondThread_givesIdenticalAlertsAndStats() throws {
        let single = try runEngine([.file(SmallOrg.path)])
        let engine = try runEngine([]).engine
        engine.threads = 2
        var alerts: [Alert] = []
        try engine.run([.file(SmallOrg.path)], emit: { alerts.append($0) }, deadLetter: { _ in })
        #expect(alerts.map { $0.jsonLine() } == single.alerts.map { $0.jsonLine() })
        #expect(engine.stats.events == single.stats.events && engine.stats.records == single.stats.records)
        #expect(engine.stats.bytes == single.stats.bytes)
    }

    /// The forest's trees walked on 1, 3 or 7 helper threads beside detection (more than this
    /// machine has cores, so the split is not the one it would choose): the same alerts, byte for
    /// byte, as one thread doing everything.
    @Test func walkingTreesOnHelperThreads_givesIdenticalAlertsAndStats() throws {
        let single = try runEngine([.file(SmallOrg.path)])
        #expect(single.stats.alerts > 0)
        for helpers in [1, 3, 7] {
            let engine = try runEngine([]).engine
            engine.threads = 2
            engine.scoringHelpers = helpers
            var alerts: [Alert] = []
            try engine.run([.file(SmallOrg.path)], emit: { alerts.append($0) }, deadLetter: { _ in })
            #expect(alerts.map { $0.jsonLine() } == single.alerts.map { $0.jsonLine() }, "helpers: \(helpers)")
            #expect(engine.stats.events == single.stats.events)
        }
    }

    /// Several inputs are merged by event time, which reads the head of every input first: an
    /// unreadable one is reported before any event is processed, not halfway through the run.
    @Test func merging_whenAnInputIsUnreadable_throwsBeforeProcessingAnything() throws {
        let engine = try runEngine([]).engine
        engine.threads = 2
        var events = 0
        engine.onEvent = { _ in events += 1 }
        #expect(throws: SourceError.self) {
            try engine.run([.file(SmallOrg.path), .file("/no/such/file.json")], emit: { _ in }, deadLetter: { _ in })
        }
        #expect(events == 0)
    }
}

@Suite struct MultiCloudSimulationTests {
    @Test func simulateWithEveryCloud_writesStreamsThatParseCleanlyAndFindTheirAttacks() throws {
        var config = SimulationConfig(days: 5, principals: 50, seed: 11)
        config.clouds = ["aws", "gcp", "azure"]
        var sim = Simulator(config: config)
        let out = sim.run()
        #expect(Set(out.streams.map(\.name)) == ["gcp-audit.jsonl", "azure.jsonl", "s3-access.log"])
        let dir = TestSupport.tempDir()
        var inputs: [Input] = []
        for (name, lines) in [("cloudtrail.jsonl", out.lines)] + out.streams {
            inputs.append(.file(write(Array(lines.joined(separator: "\n").utf8) + [10], name, in: dir)))
        }
        var evaluation = Evaluation(labels: try Labels.parse(out.labelsCSV))
        let engine = try runEngine([]).engine
        engine.onEvent = { evaluation.observe($0) }
        var alerts: [Alert] = []
        try engine.run(inputs, emit: { alerts.append($0) }, deadLetter: { Issue.record("dead letter: \($0.reason) \($0.excerpt)") })
        for a in alerts { evaluation.add(a) }
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.report(events: engine.stats.events).utf8)) as! [String: Any]
        #expect((report["scenarios"] as! Int) >= 17)
        #expect((report["attack_events"] as! Int) == out.attackEvents)
        #expect((report["recall"] as! Double) >= 0.9)
        // The AWS stream is the same whichever clouds are added.
        var awsOnly = Simulator(config: SimulationConfig(days: 5, principals: 50, seed: 11))
        #expect(awsOnly.run().lines == out.lines)
    }
}

@Suite struct ProgressTests {
    @Test func onProgress_reportsGrowingByteCountsUpToTheInputSize() throws {
        let engine = try runEngine([]).engine
        var seen: [Int64] = []
        engine.onProgress = { bytes, _ in seen.append(bytes) }
        try engine.run([.file(SmallOrg.path)], emit: { _ in }, deadLetter: { _ in })
        #expect(!seen.isEmpty)
        #expect(seen == seen.sorted())
        #expect(seen.last == engine.stats.bytes)
    }
}
