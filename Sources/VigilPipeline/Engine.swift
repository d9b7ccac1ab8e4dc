import VigilBaseline
import VigilCore
import VigilDetection
import VigilIdentity
import VigilParsing
import VigilScoring
import VigilSources
#if canImport(Glibc)
import Glibc
#endif

/// One detection engine: the same code path for replay, eval and train (and later, tail).
///
/// Deterministic: the same inputs, rules and model give the same alerts. Events are decided one at
/// a time; reading (decode, frame, parse) may run ahead on a second thread and each event's trees
/// be walked on helper threads (`threads`; docs/parallel-detection.md). Per event: parse O(record), baseline O(1) amortised, score O(trees · height), detect O(rules of
/// the action). Attribution (which features isolated the event) is computed only for events that
/// score high enough to matter.
public final class Engine {
    public let config: EngineConfig
    public let rules: RuleSet
    public internal(set) var stats = RunStats()
    var baseline: Baseline
    var forest: IsolationForest
    /// Per-tree path lengths of recently scored vectors (a cache: same scores, fewer walks).
    var memo = ScoreMemo()
    var drift: DriftMonitor
    var detector: Detector
    /// Follows temporary credentials to their originating actor (runs before the baseline).
    var stitcher = IdentityStitcher()
    let detailActions: Set<String>
    /// Formats whose records keep their raw bytes for Sigma rules.
    let rawFormats: Set<SourceFormat>
    var deduper: Deduper
    var newest: Int64 = Int64.min
    var eventsLearned = 0
    /// When false (train), no alerts are produced; the model only learns.
    public var detecting = true
    /// When true (`replay --parse-only`), events are read, framed, parsed and counted, and nothing
    /// else: what the reading half costs, and a check that an archive parses.
    public var parseOnly = false
    /// The input format, or nil to detect it per record (`--format auto`).
    public var format: SourceFormat?
    /// Field mapping for `--format mapped`.
    public var mapping: FieldMapping?
    /// Threads: 1 reads and detects on the caller's thread; 2 or more read ahead on a second thread
    /// and walk the forest's trees on `threads − 1` helpers beside detection (at most one fewer
    /// than the processors online). Events are still decided one at a time, in order; a tree's path
    /// is the same number whichever thread walks it, so the alerts do not depend on `threads`.
    public var threads = 1
    /// Tree-walking helpers to use whatever `threads` and the processors say (tests: a split this
    /// machine would not choose must give the same alerts too). Nil: from `threads`.
    public var scoringHelpers: Int?
    /// The tree-walking helpers, made on the first scored event (see `threads`).
    private var pool: TreeWalkPool?
    private var poolMade = false
    /// Called as input is read with (raw bytes read so far over all inputs, events so far); for a
    /// progress display. Never influences detection.
    public var onProgress: ((Int64, Int) -> Void)?
    private var bytesBefore: Int64 = 0
    /// Called with each event that is processed (not duplicates or dead letters); used by `eval`.
    public var onEvent: ((AccessEvent) -> Void)?
    /// `vigil route`: when set, each event is read, de-duplicated and stitched (identity stitching
    /// must see every event of the organisation), then handed here with its actor and role reach
    /// instead of going through baseline, scorer and detector, which run in the shard workers.
    public var route: ((AccessEvent, RoleReach?) throws -> Void)?
    /// `replay --shard K --shards N`: identities are stitched over every event, but only the events
    /// of shard K go on to detection: what `vigil worker --shard K` does behind a router.
    public var shardFilter: (shard: Int, shards: Int)?
    /// Keep every record's raw bytes on its event (the router ships them to the workers).
    public var keepAllRaw = false

    public init(config: EngineConfig, rules: RuleSet, snapshot: ModelSnapshot? = nil) throws {
        let cfg = snapshot?.config ?? config
        self.config = cfg
        self.rules = rules
        if let s = snapshot {
            guard s.version == ModelSnapshot.currentVersion else {
                throw ConfigError.invalid("model snapshot version \(s.version) is not one this Vigil reads (it reads version \(ModelSnapshot.currentVersion)); train the model again with this version (vigil train)")
            }
            baseline = try Baseline(snapshot: s.baseline)
            forest = s.forest
            guard forest.dimensions == Feature.count else { throw ConfigError.invalid("model has \(forest.dimensions) features, this Vigil uses \(Feature.count)") }
            eventsLearned = s.eventsLearned
            newest = s.newestEvent
            drift = s.drift ?? DriftMonitor(dims: Feature.count, window: cfg.driftWindow, threshold: cfg.driftThreshold)
            stitcher = s.identity ?? IdentityStitcher()
        } else {
            baseline = Baseline(config: cfg.baseline)
            forest = IsolationForest(dimensions: Feature.count, config: cfg.isolation)
            drift = DriftMonitor(dims: Feature.count, window: cfg.driftWindow, threshold: cfg.driftThreshold)
        }
        detector = Detector(config: cfg.detector, rules: rules)
        detailActions = rules.detailActions.union(IdentityStitcher.mintingActions)
        rawFormats = rules.rawFormats
        deduper = Deduper(window: cfg.dedupeWindow, cap: cfg.dedupeCap)
    }

    /// The learned state, for `vigil train` and state directories.
    public func snapshot() -> ModelSnapshot {
        ModelSnapshot(config: config, baseline: baseline.snapshot(), forest: forest, drift: drift,
                      eventsLearned: eventsLearned, newestEvent: newest, identity: stitcher)
    }

    /// Restores an engine from a state directory's checkpoint: model, detector and de-duplication
    /// memory, so that it goes on exactly as the run that wrote the checkpoint would have.
    public convenience init(rules: RuleSet, checkpoint: EngineCheckpoint) throws {
        guard checkpoint.version == EngineCheckpoint.currentVersion else {
            throw ConfigError.invalid("checkpoint version \(checkpoint.version) is not one this Vigil reads (it reads version \(EngineCheckpoint.currentVersion)); move the state directory away to start over")
        }
        try self.init(config: checkpoint.model.config, rules: rules, snapshot: checkpoint.model)
        detector = try Detector(config: config.detector, rules: rules, snapshot: checkpoint.detector)
        deduper = checkpoint.deduper
    }

    /// Counters of the run's non-file sources (S3), for `--stats`; never read by detection.
    public func noteSourceCounters(_ counters: [(String, Int64)]) { stats.sourceCounters = counters }

    /// Called after each item is consumed (for checkpoint bookkeeping); never influences detection.
    public var afterItem: ((ReadItem) throws -> Void)?
    /// Polled after each item; when it returns true the run stops early (SIGINT/SIGTERM) and
    /// `stopped` is set. Everything consumed so far is complete.
    public var stopRequested: (() -> Bool)?
    public private(set) var stopped = false

    /// Replays `inputs`: one input in its own order, several merged by event time (`InputMerger`,
    /// window `config.lateness`), so the alerts do not depend on the order of the inputs.
    /// Unreadable inputs throw (`SourceError`); damaged compressed data and bad records are
    /// dead-lettered and the run goes on. With `threads` ≥ 2, reading (decode, frame, parse, merge)
    /// runs on its own thread ahead of detection; the results are identical.
    /// `resume`: inputs partly processed (or opened by the merge) before a restart, by name;
    /// `mergeFrontier`: the newest event time merged before it.
    public func run(_ inputs: [Input], resume: [String: ResumePoint] = [:], mergeFrontier: Int64? = nil,
                    emit: (Alert) throws -> Void, deadLetter: (DeadLetter) throws -> Void) throws {
        let start = Self.monotonicSeconds()
        defer { stats.seconds += Self.monotonicSeconds() - start }
        var reader = RecordReader(parser: parser(), maxRecordBytes: config.maxRecordBytes)
        reader.resume = resume
        reader.countOnly = parseOnly
        reader.decodeAhead = threads >= 2
        if inputs.count >= 2 {
            let merger = try InputMerger(inputs: inputs, resume: resume, frontier: mergeFrontier, window: config.lateness,
                                         parser: reader.parser, maxRecordBytes: config.maxRecordBytes)
            defer { stats.inputsOpenAtOnce = merger.mostOpen }
            try drive({ sink in while let item = try merger.next() { try sink(item) } }, emit: emit, deadLetter: deadLetter)
        } else {
            try drive({ sink in for input in inputs { try reader.read(input, sink) } }, emit: emit, deadLetter: deadLetter)
        }
    }

    /// Runs the items `produce` hands out through detection: on this thread, or with `threads` ≥ 2
    /// produced on a second thread ahead of it (same order, same results).
    private func drive(_ produce: @escaping ReadAhead.Producer, emit: (Alert) throws -> Void,
                       deadLetter: (DeadLetter) throws -> Void) throws {
        if threads >= 2 {
            let ahead = ReadAhead()
            ahead.start(produce)
            do {
                outer: while let batch = try ahead.next() {
                    for item in batch {
                        try consume(item, emit: emit, deadLetter: deadLetter)
                        if stopped { ahead.cancel(); break outer }
                    }
                }
            } catch {
                ahead.cancel()
                finishStats()
                throw error
            }
        } else {
            do {
                try produce { item in
                    try consume(item, emit: emit, deadLetter: deadLetter)
                    if stopped { throw CancellationError() }
                }
            } catch is CancellationError {}
        }
        finishStats()
    }

    /// The parser for this engine's format and mapping (one per reader).
    public func parser() -> FormatParser {
        FormatParser(format: format, detailActions: detailActions, keepAllRaw: keepAllRaw, mapping: mapping, rawFormats: rawFormats)
    }

    /// The parser a shard worker re-reads a routed record with: the format the router recognised,
    /// with this engine's rules deciding which raw bytes are kept (as `parser()` does).
    public func parser(for format: SourceFormat) -> FormatParser {
        FormatParser(format: format, detailActions: detailActions, mapping: mapping, rawFormats: rawFormats)
    }

    /// The detecting half: one item from a reader (also used by `Tailer`, which reads by itself).
    func consume(_ item: ReadItem, emit: (Alert) throws -> Void, deadLetter: (DeadLetter) throws -> Void) throws {
        try consumeItem(item, emit: emit, deadLetter: deadLetter)
        try afterItem?(item)
        if let stop = stopRequested, stop() { stopped = true }
    }

    func consumeItem(_ item: ReadItem, emit: (Alert) throws -> Void, deadLetter: (DeadLetter) throws -> Void) throws {
        switch item {
        case .inputDone(_, let bytes):
            stats.inputs += 1
            stats.bytes += bytes
            bytesBefore = stats.bytes
        case .progress(let bytes):
            onProgress?(bytesBefore + bytes, stats.events)
        case .opened:
            break
        case .parsed(let c):
            stats.parseFast += c.fast
            stats.parseFull += c.full
            stats.parseTimeFallback += c.timeFallback
            stats.parseUnwrapped += c.unwrapped
            (stats.symbols, stats.symbolBytes, stats.symbolResets) = (c.symbols, c.symbolBytes, c.symbolResets)
            stats.records += c.counted
            stats.events += c.counted
        case .dead(let d, let isRecord):
            if isRecord { stats.records += 1 }
            try bad(d, deadLetter)
        case .event(let e):
            stats.records += 1
            if parseOnly {
                stats.events += 1
                return
            }
            if deduper.isDuplicate(key: e.identity.id, at: e.time) {
                stats.duplicates += 1
                return
            }
            try process(e, emit: emit)
        }
    }

    /// The helpers that share the forest's walks, or nil for one thread.
    private func walkPool() -> TreeWalkPool? {
        if !poolMade {
            poolMade = true
            pool = scoringHelpers.map { $0 > 0 ? TreeWalkPool(helpers: $0) : nil } ?? TreeWalkPool.forThreads(threads)
        }
        return pool
    }

    /// The event being processed while `emit` is called (responders act on its details: the access
    /// key, the source address).
    public private(set) var current: AccessEvent?

    /// Runs one parsed event through baseline, scorer and detector.
    public func process(_ event: AccessEvent, emit: (Alert) throws -> Void) throws {
        // Parsers stamp every event's keys; an event built by hand gets them once here, not at
        // each stage that compares them.
        guard event.keys != nil else {
            var e = event
            e.stampKeys()
            return try process(e, emit: emit)
        }
        let stitched = stitcher.stitch(event)
        if let f = shardFilter, Int(event.identity.principal % UInt64(max(1, f.shards))) != f.shard { return }
        if let route {
            stats.events += 1
            if newest != Int64.min && event.time < newest &- config.lateness { stats.late += 1 }
            newest = max(newest, event.time)
            var e = event
            if let actor = stitched.actor { e.actor = actor }
            try route(e, stitched.reach)
            return
        }
        if let actor = stitched.actor {
            var e = event
            e.actor = actor
            try process(e, reach: stitched.reach, emit: emit)
        } else {
            try process(event, reach: stitched.reach, emit: emit)
        }
    }

    /// A shard worker's entry: an event the router already de-duplicated and stitched (its `actor`
    /// set, and its role reach if it had one), through baseline, scorer and detector, exactly as
    /// `process(_:emit:)` does after stitching.
    public func processRouted(_ e: AccessEvent, reach: RoleReach?, emit: (Alert) throws -> Void) throws {
        stats.records += 1
        if e.keys == nil {
            var stamped = e
            stamped.stampKeys()
            try process(stamped, reach: reach, emit: emit)
        } else {
            try process(e, reach: reach, emit: emit)
        }
        if let stop = stopRequested, stop() { stopped = true }
    }

    /// Counts a routed message the worker could not use (a bad wire header or a record that no longer
    /// parses) and hands it on as a dead letter.
    public func deadLetterRouted(_ d: DeadLetter, _ sink: (DeadLetter) throws -> Void) throws {
        stats.records += 1
        try bad(d, sink)
    }

    /// The event with its stitched actor, through baseline, scorer and detector.
    func process(_ e: AccessEvent, reach: RoleReach?, emit: (Alert) throws -> Void) throws {
        stats.events += 1
        onEvent?(e)
        if newest != Int64.min && e.time < newest &- config.lateness { stats.late += 1 }
        newest = max(newest, e.time)
        let (fv, lesson) = baseline.observe(e)
        // Provisional trees (the forest's warm-up, built on 8…128 events) rank the first rows of a
        // table well enough, but are too small to act on: an alert or a hold needs the real forest.
        // Until it exists, events score 0 here, as they always did; the cold-start priors speak
        // for the first day instead.
        let score = forest.isReady ? memo.score(forest, fv.values, pool: walkPool()) : 0
        var held = false
        if detecting {
            let principal = e.principal
            // Attribution walks the forest a second time: only for the events that raise a finding.
            let d = detector.process(e, features: fv, score: score, attribution: self.forest.explain(fv.values).attribution) {
                self.baseline.windowEventIDs(principal)
            }
            // Poisoning resistance: anomalous events, events a rule finding covers, and whatever a
            // principal does while its anomaly finding is open wait out the hold period.
            held = d.anomalous || d.ruleMatched || d.suspect || reach != nil
            if d.severe { baseline.markIncident(principal: e.principal, at: e.time) }
            for a in d.alerts {
                stats.alerts += 1
                try self.emit(for: e, a, emit)
            }
            if let reach {
                stats.alerts += 1
                try self.emit(for: e, detector.raise(reach.finding(for: e, score: score)), emit)
            }
            // Update alerts that came due at this event's time: of this principal's incident, or of
            // another's (then this event is not their context: responders get none).
            for u in d.updates {
                stats.alerts += 1
                if u.finding.principal == e.principal { try self.emit(for: e, u, emit) } else { try emit(u) }
            }
        } else {
            // Training: no detector, so hold back what the forest itself finds anomalous.
            held = score >= config.detector.anomalyThreshold && forest.isReady
        }
        baseline.commit(lesson, held: held)
        if !held {
            forest.learn(fv.values)
            eventsLearned += 1
        }
        // Drift watches every event's features, held or not: it is about what the stream looks like
        // now against what it looked like, not about what was learned.
        let drifted = drift.observe(fv.values)
        if !drifted.isEmpty {
            stats.driftFindings += 1
            if detecting {
                let a = detector.raise(driftFinding(drifted, at: e))
                stats.alerts += 1
                try self.emit(for: e, a, emit)
            }
        }
    }

    /// Emits `a` with `current` set to the event that raised it (responders read its access key and
    /// address); set only around an emit, so the event is not copied for the many that raise none.
    func emit(for e: AccessEvent, _ a: Alert, _ emit: (Alert) throws -> Void) throws {
        current = e
        defer { current = nil }
        try emit(a)
    }

    func bad(_ d: DeadLetter, _ sink: (DeadLetter) throws -> Void) throws {
        stats.deadLettered += 1
        stats.deadLetterReasons[d.reason, default: 0] += 1
        try sink(d)
    }
}
