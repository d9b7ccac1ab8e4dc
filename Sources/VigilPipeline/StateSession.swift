import Foundation
import VigilCore
import VigilDetection
import VigilResponders
import VigilSources
import VigilState

/// A run attached to a state directory (`--state DIR`): it restores the last checkpoint, tells the
/// readers where each input resumes, keeps reading positions up to date as items are consumed, and
/// writes new checkpoints every `everyEvents` records or `everySeconds` (wall clock: it decides only
/// *when* to save, never what is detected), and at the end.
///
/// Order of a save: alerts flushed and fsynced first, then the checkpoint naming their length, so a
/// checkpoint never covers alerts that are not on disk. Alerts written after it are cut away on
/// restart and emitted again by the re-run records.
public final class StateSession {
    public let directory: StateDirectory
    /// The checkpoint found at start (nil: a fresh state directory).
    public let restored: EngineCheckpoint?
    public var everyEvents = 50_000
    public var everySeconds = 5.0
    private var inputs: [String: InputCheckpoint] = [:]
    private var order: [String] = []
    private var sinceSave = 0
    private var lastSave: Double
    /// Refreshes identities of open inputs just before a save (the tailer reads them from its
    /// descriptors, which may no longer be reachable by path after a rotation).
    public var refreshIdentities: ((inout [String: InputCheckpoint]) -> Void)?
    public private(set) var saves = 0
    /// Told when an output is cut back to its checkpointed length (path, bytes removed).
    public var onCutBack: ((String, Int64) -> Void)?
    /// More files to fsync before each checkpoint (the audit trail).
    public var syncDescriptors: [Int32] = []
    private var outputs: [(writer: LineWriter, kept: Int)] = []

    private let writer: CheckpointWriter

    public init(path: String) throws {
        directory = try StateDirectory(path: path)
        writer = CheckpointWriter(directory: directory)
        var found: EngineCheckpoint?
        switch try directory.loadCheckpoint(names: CheckpointSection.name) {
        case nil:
            break
        case .json(let bytes):
            found = try Self.decodeJSON(bytes, path: directory.legacyCheckpointPath)
        case .binary(let files, let warnings):
            self.warnings = warnings
            do {
                found = try EngineCheckpoint(chain: files)
            } catch {
                throw StateError.corrupt(directory.checkpointPath, "\(error)")
            }
        }
        restored = found
        if let cp = found {
            for i in cp.inputs {
                inputs[i.path] = i
                order.append(i.path)
            }
            mergeFrontier = cp.mergeFrontier
        }
        lastSave = Engine.monotonicSeconds()
    }

    /// What loading the checkpoint passed over (damaged files), in plain words, for the CLI to say.
    public private(set) var warnings: [String] = []

    /// A version 1 directory's JSON checkpoint (the next checkpoint replaces it with binary files).
    static func decodeJSON(_ bytes: [UInt8], path: String) throws -> EngineCheckpoint {
        do {
            let cp = try JSONDecoder().decode(EngineCheckpoint.self, from: Data(bytes))
            guard cp.version == EngineCheckpoint.currentVersion else {
                throw StateError.corrupt(path, "checkpoint version \(cp.version) is not one this Vigil reads (it reads version \(EngineCheckpoint.currentVersion)); to start over, move the state directory away and run again (the inputs are read from their start)")
            }
            return cp
        } catch let e as StateError {
            throw e
        } catch {
            throw StateError.corrupt(path, "\(error)")
        }
    }

    /// A session starts its chain with a full staging; later ones are deltas, and the checkpoint
    /// thread folds them into a new base when they outgrow it (``CheckpointWriter``).
    private var baseWritten = false
    /// Deltas after which the chain is compacted whatever their size.
    public var maxDeltas: Int {
        get { writer.maxDeltas }
        set { writer.maxDeltas = newValue }
    }

    /// The engine to run: restored from the checkpoint, or `fresh()` when there is none.
    public func engine(rules: RuleSet, fresh: () throws -> Engine) throws -> Engine {
        if let cp = restored { return try Engine(rules: rules, checkpoint: cp) }
        return try fresh()
    }

    /// Opens an output file (alerts, dead letters) whose length checkpoints track: with a
    /// checkpoint naming the same path, cut back to what it covers and appended to; otherwise
    /// created empty. `-` is stdout (at-least-once: lines after the checkpoint are written again).
    public func output(path: String) throws -> LineWriter {
        if path == "-" { return try LineWriter(path: "-") }
        let w: LineWriter
        var kept = 0
        if let mark = restored?.outputs.first(where: { $0.path == path }) {
            w = try LineWriter(path: path, keeping: mark.bytes)
            kept = mark.count
            if w.cutBytes > 0 { onCutBack?(path, w.cutBytes) }
        } else {
            w = try LineWriter(path: path)
        }
        outputs.append((w, kept))
        return w
    }

    // MARK: replay

    /// The newest event time consumed (what the merge had reached), restored from the checkpoint.
    public private(set) var mergeFrontier: Int64?

    /// Which inputs still need reading and where each resumes (inputs the merge had opened resume
    /// too, at their beginning when nothing of them was processed); inputs read to their end before
    /// (same identity) are left out.
    public func plan(_ all: [Input]) -> (inputs: [Input], resume: [String: ResumePoint]) {
        var todo: [Input] = []
        var resume: [String: ResumePoint] = [:]
        for input in all {
            if case .object(let o) = input, let cp = inputs[o.name] {
                // An object of a log bucket never changes: done is done, and a partial one resumes
                // by skipping what was processed (its bytes are fetched again from the start).
                if cp.done { continue }
                resume[o.name] = cp.remoteResumePoint()
                todo.append(input)
                continue
            }
            guard case .file(let path) = input, let cp = inputs[path] else { todo.append(input); continue }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { todo.append(input); continue }
            defer { close(fd) }
            if cp.done, let id = cp.identity, id.matches(fd: fd) { continue }
            if !cp.done, let p = cp.resumePoint(fd: fd) { resume[path] = p } else { forget(path) }
            todo.append(input)
        }
        return (todo, resume)
    }

    // MARK: tail

    /// Where a followed file resumes (for `Follower`).
    public func resolve(path: String, fd: Int32) -> Follower.Resume {
        guard let cp = inputs[path] else { return .unknown }
        if cp.done, let id = cp.identity, id.matches(fd: fd) { return .done }
        if !cp.done, let p = cp.resumePoint(fd: fd) { return .at(p) }
        if !cp.done, let id = cp.identity, let (sibling, p) = rotatedSibling(of: path, identity: id, checkpoint: cp) {
            return .rotated(sibling, p)
        }
        return .fresh
    }

    /// The file the checkpoint describes, if a rotation moved it beside its old path (`app.log.1`).
    func rotatedSibling(of path: String, identity: FileIdentity, checkpoint cp: InputCheckpoint) -> (String, ResumePoint)? {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "/" : dir) else { return nil }
        for name in names.sorted() {
            let candidate = (dir.isEmpty ? "" : dir + "/") + name
            guard candidate != path else { continue }
            var st = stat()
            guard stat(candidate, &st) == 0, UInt64(st.st_ino) == identity.inode, UInt64(st.st_dev) == identity.device else { continue }
            let fd = open(candidate, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            if let p = cp.resumePoint(fd: fd) { return (candidate, p) }
        }
        return nil
    }

    /// A file begins (again) under `path`: a new entry unless it resumes the checkpointed one.
    public func begin(path: String, identity: FileIdentity?, start: ResumePoint, resumed: Bool) {
        if resumed, inputs[path] != nil { return }
        var cp = InputCheckpoint(path: path, identity: identity)
        cp.from = start.seek
        cp.fromLine = start.line
        if start.skipThrough >= start.seek { cp.advance(offset: start.skipThrough, line: start.line) }
        if inputs[path] == nil { order.append(path) }
        inputs[path] = cp
    }

    // MARK: bookkeeping

    /// Notes a consumed item: a record advances its input; the end of an input marks it done.
    public func note(_ item: ReadItem, key: String? = nil) {
        switch item {
        case .event, .dead(_, true):
            guard let pos = item.recordPosition else { return }
            if case .event(let e) = item { mergeFrontier = max(mergeFrontier ?? Int64.min, e.time) }
            let k = key ?? pos.input
            if inputs[k] == nil {
                order.append(k)
                inputs[k] = InputCheckpoint(path: k, identity: StateSession.identity(ofPath: k))
            }
            inputs[k]!.advance(offset: pos.offset, line: pos.line)
            sinceSave += 1
        case .opened(let name):
            let k = key ?? name
            guard k != "-", inputs[k] == nil else { return }
            order.append(k)
            inputs[k] = InputCheckpoint(path: k, identity: StateSession.identity(ofPath: k))
        case .inputDone(let name, _):
            let k = key ?? name
            guard k != "-" else { return }
            if inputs[k] == nil {
                order.append(k)
                inputs[k] = InputCheckpoint(path: k, identity: StateSession.identity(ofPath: k))
            }
            inputs[k]!.done = true
        default:
            break
        }
    }

    /// Drops what is known about `path` (it will be read from its start).
    public func forget(_ path: String) {
        inputs[path] = nil
        order.removeAll { $0 == path }
    }

    /// True when a save is due by record count or by time.
    /// Seconds since the last checkpoint while processed records wait for one; 0 when the last
    /// checkpoint covers everything processed (an idle tail has nothing to save).
    public var checkpointAge: Double { sinceSave > 0 ? Engine.monotonicSeconds() - lastSave : 0 }

    /// Records processed since the last checkpoint.
    public var unsavedRecords: Int { sinceSave }

    public var due: Bool {
        sinceSave >= everyEvents || (sinceSave > 0 && Engine.monotonicSeconds() - lastSave >= everySeconds)
    }

    /// Checkpoints `engine` as it is now. The value is captured here, between two records, with the
    /// outputs flushed; encoding and writing happen on the checkpoint thread (outputs fsynced
    /// first). `wait`: return only once it is on disk (end of run, stop).
    public func save(_ engine: Engine, wait: Bool = false, tag: UInt64? = nil) throws {
        try beforeSave?()
        for o in outputs { try o.writer.flush() }
        refreshIdentities?(&inputs)
        if saves % 20 == 0 { pruneVanished() }
        let marks = outputs.map { OutputMark(path: $0.writer.path, bytes: $0.writer.writtenBytes, count: $0.kept + $0.writer.lines) }
        let full = !baseWritten
        let t0 = Engine.monotonicSeconds()
        let staged = try engine.stageCheckpoint(inputs: order.compactMap { inputs[$0] }.filter { $0.path != "-" }, outputs: marks,
                                                mergeFrontier: mergeFrontier, full: full)
        engine.noteCheckpoint(staged, seconds: Engine.monotonicSeconds() - t0)
        baseWritten = true
        try writer.submit(staged, fsync: outputs.map(\.writer.descriptor) + syncDescriptors, tag: tag)
        if wait {
            try writer.drain()
            engine.noteCheckpointWritten(bytes: writer.bytesOnDisk, seconds: writer.secondsWriting, compactions: writer.compactions)
        }
        sinceSave = 0
        lastSave = Engine.monotonicSeconds()
        saves += 1
    }

    /// Runs first in every save: what must be safe elsewhere before a checkpoint may say it is done
    /// (the router's and the worker's publications waiting for JetStream's acknowledgements).
    public var beforeSave: (() throws -> Void)?

    /// Waits until every checkpoint submitted is on disk.
    public func waitForCheckpoints() throws { try writer.drain() }

    /// The `tag` of the newest checkpoint on disk (a shard worker acknowledges up to it).
    public var durableTag: UInt64? { writer.writtenTag }

    // MARK: JetStream positions

    /// The last stream sequence a checkpoint covers for `key` (a worker's stream and shard), or nil.
    public func streamPosition(_ key: String) -> UInt64? {
        guard let cp = inputs[key], cp.lastRecord >= 0 else { return nil }
        return UInt64(cp.lastRecord)
    }

    /// The keys of stream positions this state holds (a worker refuses another shard's state).
    public var streamKeys: [String] { order.filter { $0.hasPrefix("nats:") } }

    /// A message at `sequence` of `key`'s stream was processed.
    public func noteStream(_ key: String, sequence: UInt64) {
        if inputs[key] == nil {
            order.append(key)
            inputs[key] = InputCheckpoint(path: key, identity: nil)
        }
        inputs[key]!.advance(offset: Int64(sequence), line: 0)
        sinceSave += 1
    }

    /// Forgets inputs read to their end whose files are gone (a followed CloudTrail directory whose
    /// old objects are expired): the checkpoint would otherwise grow with every file ever read. Run
    /// every 20th save, so the stat calls stay off most saves.
    func pruneVanished() {
        forgetObjects(inputs.values.filter { $0.done && !Self.isObject($0.path) && access($0.path, F_OK) != 0 }.map(\.path))
    }

    // MARK: objects (s3://)

    /// An object store's name (`s3://…`): no file to stat, never pruned as vanished.
    static func isObject(_ name: String) -> Bool { name.hasPrefix("s3://") || name.hasPrefix("sqs-message:") }

    /// The objects under `prefix` this state holds: those read to their end, and those begun.
    /// What a followed bucket resumes from (the last key per prefix, and anything half done).
    public func objects(under prefix: String) -> (done: [String], begun: [String]) {
        var done: [String] = [], begun: [String] = []
        for name in order where name.hasPrefix(prefix) {
            guard let cp = inputs[name] else { continue }
            if cp.done { done.append(name) } else { begun.append(name) }
        }
        return (done, begun)
    }

    /// Marks `name` done without reading it: a queue message already dead-lettered, so a
    /// redelivery after a restart is deleted without writing its dead letter twice.
    public func noteDone(_ name: String) {
        if inputs[name] == nil {
            order.append(name)
            inputs[name] = InputCheckpoint(path: name, identity: nil)
        }
        inputs[name]!.done = true
        sinceSave += 1
    }

    /// True when the object (or file) `name` was read to its end.
    public func isDone(_ name: String) -> Bool { inputs[name]?.done ?? false }

    /// Forgets inputs the checkpoint need not hold: objects a cursor now stands for (a followed
    /// bucket keeps only its last key per prefix), files gone from disk.
    public func forgetObjects(_ names: [String]) {
        guard !names.isEmpty else { return }
        let drop = Set(names)
        for n in drop { inputs[n] = nil }
        order.removeAll { drop.contains($0) }
    }

    /// Waits for checkpoints still being written (a dropped session never leaves one half-done).
    deinit {
        writer.close()
        directory.unlock()
    }

    static func identity(ofPath path: String) -> FileIdentity? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return FileIdentity.of(fd: fd)
    }
}
