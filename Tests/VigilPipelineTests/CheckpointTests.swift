import Foundation
import Testing
@testable import VigilPipeline
import VigilCore
import VigilDetection
import VigilSources
import VigilTestSupport

/// A checkpoint is one consistent moment: an engine restored from it, reading on from the positions
/// it names, emits exactly the alerts the uninterrupted run emitted after that moment.
@Suite struct CheckpointTests {
    static let rules: RuleSet = try! RuleSet.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/rules.json"))

    /// Runs `input` once, checkpointing into a fresh state directory after `cut` records; returns
    /// all alerts, how many had been emitted at the checkpoint, and the directory.
    func runWithCheckpoint(_ input: Input, cut: Int, threads: Int) throws -> (alerts: [String], atCut: Int, dir: String) {
        let r = try runWithCheckpoints(input, cuts: [cut], threads: threads)
        return (r.alerts, r.atCut, r.dir)
    }

    /// Runs `input` once with a checkpoint at each of `cuts` (a base, then deltas; `maxDeltas` forces
    /// compaction into new bases; `maxPrincipals` makes principals come and go between them).
    /// Returns all alerts, how many had been emitted at the last cut, the directory and the stats.
    func runWithCheckpoints(_ input: Input, cuts: [Int], threads: Int = 1, maxDeltas: Int = 64,
                            maxPrincipals: Int? = nil) throws -> (alerts: [String], atCut: Int, dir: String, stats: RunStats) {
        let dir = TestSupport.tempDir() + "/state"
        var session: StateSession? = try StateSession(path: dir)
        session?.maxDeltas = maxDeltas
        var cfg = EngineConfig()
        cfg.isolation.seed = 1
        if let m = maxPrincipals { cfg.baseline.maxPrincipals = m }
        let engine = try Engine(config: cfg, rules: Self.rules)
        engine.threads = threads
        var alerts: [String] = []
        var atCut = -1
        var n = 0
        engine.afterItem = { item in
            session?.note(item)
            guard item.recordPosition != nil else { return }
            n += 1
            if cuts.contains(n) {
                try session?.save(engine, wait: n == cuts.last)
                atCut = alerts.count
            }
        }
        try engine.run([input], emit: { alerts.append($0.jsonLine()) }, deadLetter: { _ in })
        session = nil
        return (alerts, atCut, dir, engine.stats)
    }

    @Test(arguments: [1, 2, 64])
    func resumingFromABaseAndItsDeltas_emitsExactlyTheRemainingAlerts(maxDeltas: Int) throws {
        let total = SmallOrg.output.lines.count
        let cuts = [10, 25, 40, 55, 70].map { total * $0 / 100 }
        let run = try runWithCheckpoints(.file(SmallOrg.path), cuts: cuts, maxDeltas: maxDeltas, maxPrincipals: 60)
        #expect(run.stats.checkpointBases == 1 && run.stats.checkpointDeltas == cuts.count - 1)   // only the first is staged whole
        if maxDeltas == 1 { #expect(run.stats.checkpointCompactions == cuts.count - 1) }         // every delta folded into a new base
        if maxDeltas == 2 { #expect(run.stats.checkpointCompactions >= 2) }
        #expect(run.stats.principalsEvicted > 0)
        let resumed = try resume(.file(SmallOrg.path), dir: run.dir, threads: 1)
        #expect(resumed.stats.records == total - cuts.last!)
        expectSame(resumed.alerts, Array(run.alerts[run.atCut...]))
    }

    /// Restores from the directory's checkpoint and reads the input on.
    func resume(_ input: Input, dir: String, threads: Int) throws -> (alerts: [String], stats: RunStats) {
        let session = try StateSession(path: dir)
        let cp = try #require(session.restored)
        let engine = try Engine(rules: Self.rules, checkpoint: cp)
        engine.threads = threads
        let (inputs, resume) = session.plan([input])
        var alerts: [String] = []
        try engine.run(inputs, resume: resume, emit: { alerts.append($0.jsonLine()) }, deadLetter: { _ in })
        return (alerts, engine.stats)
    }

    @Test(arguments: [0.25, 0.5, 0.8])
    func resumingPlainJSONLines_emitsExactlyTheRemainingAlerts(fraction: Double) throws {
        let total = SmallOrg.output.lines.count
        let cut = Int(Double(total) * fraction)
        let run = try runWithCheckpoint(.file(SmallOrg.path), cut: cut, threads: 2)
        #expect(run.atCut >= 0)
        let resumed = try resume(.file(SmallOrg.path), dir: run.dir, threads: 1)
        #expect(resumed.stats.records == total - cut)      // seeks to the cut: nothing re-read as a record
        expectSame(resumed.alerts, Array(run.alerts[run.atCut...]))
        #expect(!run.alerts.isEmpty)
    }

    @Test func resumingGzip_skipsWhatWasProcessed_andMatches() throws {
        let dir = TestSupport.tempDir()
        let bytes = Array(SmallOrg.output.lines.joined(separator: "\n").utf8) + [10]
        let gz = write(TestSupport.gzip(bytes), "org.jsonl.gz", in: dir)
        let cut = SmallOrg.output.lines.count / 3
        let run = try runWithCheckpoint(.file(gz), cut: cut, threads: 1)
        let resumed = try resume(.file(gz), dir: run.dir, threads: 2)
        #expect(resumed.stats.records == SmallOrg.output.lines.count - cut)
        expectSame(resumed.alerts, Array(run.alerts[run.atCut...]))
    }

    /// Compares alert lines, reporting the first difference rather than both lists.
    func expectSame(_ a: [String], _ b: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("alert \(i) differs:\n\(a[i])\n\(b[i])", sourceLocation: sourceLocation)
        }
    }

    @Test func checkpointAfterCompletion_marksTheInputDone() throws {
        let dir = TestSupport.tempDir() + "/state"
        let tmp = TestSupport.tempDir()
        let path = write(Array(SmallOrg.output.lines.prefix(500).joined(separator: "\n").utf8) + [10], "part.jsonl", in: tmp)
        do {
            let session = try StateSession(path: dir)
            let engine = try Engine(config: EngineConfig(), rules: Self.rules)
            engine.afterItem = { session.note($0) }
            try engine.run([.file(path)], emit: { _ in }, deadLetter: { _ in })
            try session.save(engine)
        }
        let again = try StateSession(path: dir)
        #expect(again.plan([.file(path)]).inputs.isEmpty)
        // The same path with other content is a different file: read from the start.
        _ = write(Array(SmallOrg.output.lines.dropFirst(500).prefix(10).joined(separator: "\n").utf8) + [10], "part.jsonl", in: tmp)
        let plan = again.plan([.file(path)])
        #expect(plan.inputs == [.file(path)])
        #expect(plan.resume.isEmpty)
    }

    @Test func recordStream_givesTheSameItemsWhateverTheChunking() throws {
        let bytes = Array(SmallOrg.output.lines.prefix(3000).joined(separator: "\n").utf8) + [10]
        let parser = try Engine(config: EngineConfig(), rules: Self.rules).parser()
        func items(_ chunks: [ArraySlice<UInt8>]) throws -> [String] {
            let s = RecordStream(name: "x", parser: parser, maxRecordBytes: 1 << 20)
            var out: [String] = []
            let sink: (ReadItem) throws -> Void = { item in
                if case .event(let e) = item { out.append("\(e.id)@\(e.position.offset):\(e.position.line)") }
            }
            for c in chunks { try c.withUnsafeBytes { try s.push($0, sink) } }
            try s.finish(sink)
            return out
        }
        let whole = try items([bytes[...]])
        var rng = SystemRandomNumberGenerator()
        var chunks: [ArraySlice<UInt8>] = []
        var i = 0
        while i < bytes.count {
            let n = Int.random(in: 1...700, using: &rng)
            chunks.append(bytes[i..<min(bytes.count, i + n)])
            i += n
        }
        #expect(whole.count == 3000)
        #expect(try items(chunks) == whole)
    }
}

@Suite struct CheckpointPruningTests {
    @Test func inputsReadToTheirEnd_areForgottenOnceTheirFilesAreGone() throws {
        let rules = CheckpointTests.rules
        let tmp = TestSupport.tempDir()
        let a = write(Array(SmallOrg.output.lines.prefix(50).joined(separator: "\n").utf8) + [10], "a.jsonl", in: tmp)
        let b = write(Array(SmallOrg.output.lines.dropFirst(50).prefix(50).joined(separator: "\n").utf8) + [10], "b.jsonl", in: tmp)
        let dir = tmp + "/state"
        do {
            let s = try StateSession(path: dir)
            let engine = try Engine(config: EngineConfig(), rules: rules)
            engine.afterItem = { s.note($0) }
            try engine.run([.file(a), .file(b)], emit: { _ in }, deadLetter: { _ in })
            try FileManager.default.removeItem(atPath: a)
            try s.save(engine, wait: true)             // first save prunes
        }
        let again = try StateSession(path: dir)
        #expect(again.restored?.inputs.map(\.path) == [b])
    }
}
