import Foundation
import VigilState
#if canImport(Glibc)
import Glibc
#endif

/// Writes checkpoints on its own thread, so detection never waits for compression and fsync.
///
/// Consistency: a checkpoint is staged on the detecting thread between two records, as bytes
/// (``StagedCheckpoint``), with the outputs flushed and their lengths recorded. This thread then
/// fsyncs the outputs — covering at least the recorded lengths — before it commits the checkpoint
/// file, so a checkpoint on disk never names alert bytes that are not.
///
/// Order: deltas build on each other, so every staged checkpoint is written, in order; none
/// replaces another. One waits while one is written; a third submit waits for the writer (the
/// disk is then the bottleneck, and detection slows to it rather than queueing without bound).
final class CheckpointWriter: @unchecked Sendable {
    private struct Job {
        var kind: CheckpointFile.Kind
        var sections: [(id: UInt32, bytes: [UInt8])]
        var fsync: [Int32]
        var tag: UInt64?
        var incremental: Int
    }

    private let lock = NSCondition()
    private let directory: StateDirectory
    private var pending: Job?
    private var written: UInt64?
    private var busy = false
    private var closed = false
    private var failure: (any Error)?
    private var thread: Thread?
    private var exited = false
    /// Bytes of the checkpoint files the current manifest names (base and deltas).
    private var chainBytes = 0
    /// Seconds this thread spent compressing, writing and committing (not waiting).
    private var writeSeconds = 0.0
    /// Raw bytes of the incremental sections of the base and of the deltas since; when the deltas
    /// outgrow the base, or number `maxDeltas`, this thread folds the chain into a new base
    /// (``CheckpointCompaction``), so the detecting thread only ever stages what changed.
    private var baseIncremental = 0
    private var deltaIncremental = 0
    private var deltas = 0
    var maxDeltas = 64
    private(set) var compactionCount = 0

    init(directory: StateDirectory) {
        self.directory = directory
        let t = Thread { [self] in loop() }
        t.stackSize = 4 << 20
        thread = t
        t.start()
    }

    /// Queues a staged checkpoint; throws the failure of an earlier write (disk full, ...), if any.
    /// `tag`: what the caller wants to know is on disk (a shard worker's stream sequence, which it
    /// acknowledges only then); see `writtenTag`.
    func submit(_ staged: StagedCheckpoint, fsync fds: [Int32], tag: UInt64? = nil) throws {
        lock.lock()
        defer { lock.unlock() }
        while pending != nil && failure == nil { lock.wait() }
        if let f = failure { throw f }
        pending = Job(kind: staged.full ? .base : .delta, sections: staged.sections, fsync: fds, tag: tag,
                      incremental: staged.incrementalBytes)
        lock.broadcast()
    }

    /// The tag of the newest checkpoint on disk (nil before any tagged one).
    var writtenTag: UInt64? {
        lock.lock()
        defer { lock.unlock() }
        return written
    }

    /// Bytes on disk of the checkpoint the manifest names.
    var bytesOnDisk: Int {
        lock.lock()
        defer { lock.unlock() }
        return chainBytes
    }

    /// Compactions done so far.
    var compactions: Int {
        lock.lock()
        defer { lock.unlock() }
        return compactionCount
    }

    /// Seconds spent writing checkpoints so far.
    var secondsWriting: Double {
        lock.lock()
        defer { lock.unlock() }
        return writeSeconds
    }

    /// Waits until everything queued is on disk; throws a write failure.
    func drain() throws {
        lock.lock()
        defer { lock.unlock() }
        while (pending != nil || busy) && failure == nil { lock.wait() }
        if let f = failure { throw f }
    }

    /// Drains, then ends the thread.
    func close() {
        lock.lock()
        while pending != nil || busy { lock.wait() }
        closed = true
        lock.broadcast()
        while !exited { lock.wait() }
        lock.unlock()
    }

    /// Reads the chain back, folds it into a new base and commits it; returns the base's size.
    /// Damage found in files this run wrote is a failure, not something to fold over.
    private func compact() throws -> Int {
        guard case .binary(let files, let warnings)? = try directory.loadCheckpoint(names: CheckpointSection.name), warnings.isEmpty else {
            throw StateError.corrupt(directory.checkpointPath, "checkpoint files written by this run no longer read back cleanly")
        }
        let sections = try CheckpointCompaction.sections(of: files)
        let size = try directory.commit(kind: .base, sections: sections)
        baseIncremental = sections.filter { CheckpointSection(rawValue: $0.id)?.isIncremental == true }.reduce(0) { $0 + $1.bytes.count }
        deltaIncremental = 0
        deltas = 0
        lock.lock()
        compactionCount += 1
        lock.unlock()
        return size
    }

    private func loop() {
        while true {
            lock.lock()
            while pending == nil && !closed { lock.wait() }
            guard let job = pending else {
                exited = true
                lock.broadcast()
                lock.unlock()
                return
            }
            pending = nil
            busy = true
            let skip = failure != nil   // a chain with a failed file cannot take deltas after it
            lock.broadcast()
            lock.unlock()
            var error: (any Error)?
            var size = 0
            let t0 = Engine.monotonicSeconds()
            if !skip {
                do {
                    for fd in job.fsync { _ = Glibc.fsync(fd) }
                    size = try directory.commit(kind: job.kind, sections: job.sections)
                    if job.kind == .base {
                        (baseIncremental, deltaIncremental, deltas) = (job.incremental, 0, 0)
                    } else {
                        deltaIncremental += job.incremental
                        deltas += 1
                    }
                    if job.kind == .delta && (deltaIncremental > baseIncremental || deltas >= maxDeltas) {
                        size = try compact()
                    }
                } catch let e {
                    error = e
                }
            }
            let spent = Engine.monotonicSeconds() - t0
            lock.lock()
            busy = false
            writeSeconds += spent
            if let e = error, failure == nil { failure = e }
            if error == nil {
                if let t = job.tag { written = t }
                chainBytes = job.kind == .base || deltas == 0 ? size : chainBytes + size
            }
            lock.broadcast()
            lock.unlock()
        }
    }
}
