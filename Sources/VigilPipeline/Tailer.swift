import VigilCore
import VigilParsing
import VigilResponders
import VigilSources

/// `vigil tail`: follows inputs with a `Follower` and runs what arrives through the engine, one
/// record stream per followed file, on one thread.
///
/// Why one thread: records from one file must reach the detector in file order, and a live stream
/// arrives a little at a time, so there is nothing to read ahead of. Alerts are flushed after every
/// pass, so an appended line reaches the alert file within one wake-up (inotify) or poll interval.
///
/// Determinism: a file's records go through the same stream (decoder, framer, parser) whatever the
/// chunking of its appends, so tailing a file gives the alerts a replay of the finished file gives.
/// Several inputs are merged by event time behind a watermark (`LiveMerge`), as replay merges them,
/// so tailing files that grow in their own order gives the alerts of replaying them once finished.
public final class Tailer {
    let engine: Engine
    let follower: Follower
    let session: StateSession?
    private var streams: [Int: RecordStream] = [:]
    private var open: [Int: FollowedFile] = [:]
    private let parser: FormatParser
    /// The Strings of repeated values, shared by the followed files.
    private let symbols = SymbolTable()
    /// Polled between passes and after each record; true ends the run (after a final checkpoint).
    public var stopRequested: () -> Bool = { false }
    /// Longest wait between passes when nothing happens.
    public var idleWait = 1.0
    /// Called after every pass over the inputs (at least once per `idleWait`), on the loop's thread:
    /// where metrics are published, once per pass rather than per record.
    public var afterPass: (() -> Void)?
    /// Records read so far by format ("unparsed" for records dead-lettered before a format was
    /// known), duplicates included: `vigil_records_total{format}`.
    public private(set) var recordsByFormat: [String: Int] = [:]
    /// Records held for the event-time merge of several inputs.
    private let merge: LiveMerge

    /// `idleTimeout`: wall-clock seconds after which an input that delivers nothing stops holding
    /// the others back (`--idle-timeout`).
    public init(engine: Engine, follower: Follower, session: StateSession?, idleTimeout: Double = 5) {
        self.engine = engine
        self.follower = follower
        self.session = session
        merge = LiveMerge(idleTimeout: idleTimeout)
        parser = engine.parser()
        session?.refreshIdentities = { [weak self] inputs in
            guard let self else { return }
            for f in self.open.values {
                if let id = f.identity() { inputs[f.path]?.identity = id }
            }
        }
    }

    /// Runs until stopped (or until stdin, the only input, ends), handing alerts to `emit` and
    /// calling `flush` after each pass so they leave promptly. Writes a checkpoint on the way out.
    public func run(emit: @escaping (Alert) throws -> Void, deadLetter: @escaping (DeadLetter) throws -> Void,
                    flush: () throws -> Void) throws {
        self.emit = emit
        self.deadLetter = deadLetter
        engine.stopRequested = stopRequested
        let started = Engine.monotonicSeconds()
        defer {
            engine.account(seconds: Engine.monotonicSeconds() - started)
            engine.finishStats()
        }
        while true {
            // Held records go on after each chunk, so a large backlog never waits whole in memory.
            try follower.poll { ev in
                try handle(ev)
                try release(all: false)
            }
            try flush()
            if let s = session, s.due { try s.save(engine) }
            afterPass?()
            if stopRequested() || engine.stopped || !follower.isLive { break }
            follower.wait(timeout: min(idleWait, merge.nextTimeout(now: Engine.monotonicSeconds()).map { $0 + 0.001 } ?? idleWait))
        }
        // Nothing held back is lost: when the inputs end (or, without --state, when stopped) what
        // waits goes on in merged order. Stopped with --state, it stays unprocessed: the checkpoint
        // does not cover it, so the next run reads it again and merges it as this one would have.
        if session == nil || !(stopRequested() || engine.stopped) { try release(all: true) }
        try flush()
        try session?.save(engine, wait: true)
    }

    private func release(all: Bool) throws {
        try merge.release(now: Engine.monotonicSeconds(), all: all) { item, file in try consume(item, file: file) }
    }

    private var emit: (Alert) throws -> Void = { _ in }
    private var deadLetter: (DeadLetter) throws -> Void = { _ in }

    private func handle(_ ev: FollowEvent) throws {
        let now = Engine.monotonicSeconds()
        func hold(_ item: ReadItem, _ f: FollowedFile) { merge.add(item, from: f, now: now) }
        switch ev {
        case .opened(let f):
            merge.open(f, now: now)
            streams[f.id] = RecordStream(name: f.name, parser: parser, maxRecordBytes: engine.config.maxRecordBytes, resume: f.start, symbols: symbols)
            open[f.id] = f
            if f.path != "-" { session?.begin(path: f.path, identity: f.identity(), start: f.start, resumed: f.fromCheckpoint) }
        case .data(let f, let bytes):
            try streams[f.id]?.push(bytes) { hold($0, f) }
        case .truncated(let f):
            // copytruncate: what was read is complete; the file starts over.
            try streams[f.id]?.finish { hold($0, f) }
            // What it held goes on before the checkpoint entry starts over (as for a rotation).
            try merge.drain(f) { item, file in try consume(item, file: file) }
            streams[f.id] = RecordStream(name: f.name, parser: parser, maxRecordBytes: engine.config.maxRecordBytes, symbols: symbols)
            session?.begin(path: f.path, identity: nil, start: .beginning, resumed: false)
        case .closed(let f):
            try streams[f.id]?.finish { hold($0, f) }
            merge.end(f)
            // A rotated-away file goes on whole before its successor takes over the path (and its
            // checkpoint entry), so a restart never skips what it still held.
            if !f.whole { try merge.drain(f) { item, file in try consume(item, file: file) } }
            streams[f.id] = nil
            open[f.id] = nil
        }
    }

    private func consume(_ item: ReadItem, file: FollowedFile) throws {
        // A followed file's end only closes a rotated-away copy: not an input finished for good.
        if case .inputDone = item, !file.whole { return }
        switch item {
        case .event(let e): recordsByFormat[e.source.rawValue, default: 0] += 1
        case .dead(_, true): recordsByFormat["unparsed", default: 0] += 1
        default: break
        }
        try engine.consume(item, emit: emit, deadLetter: deadLetter)
        guard let s = session, file.path != "-" else { return }
        s.note(item, key: file.path)
        if s.due { try s.save(engine) }
    }
}
