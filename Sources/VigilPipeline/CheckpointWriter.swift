import Foundation
import VigilState
#if canImport(Glibc)
import Glibc
#endif

/// Writes checkpoints on its own thread, so detection never waits for encoding, compression and
/// fsync (about 0.1 s for a 150-principal organisation — long enough to show in tail latency).
///
/// Consistency: the checkpoint value is captured on the detecting thread between two records (value
/// types, so later mutations do not reach it); outputs are flushed there too, and their lengths
/// recorded. This thread then fsyncs the outputs — covering at least the recorded lengths — before
/// it replaces the checkpoint file, so a checkpoint on disk never names alert bytes that are not.
/// At most one checkpoint waits; a newer one replaces it (only the latest matters).
final class CheckpointWriter: @unchecked Sendable {
    private let lock = NSCondition()
    private let directory: StateDirectory
    private var pending: (checkpoint: EngineCheckpoint, fsync: [Int32], tag: UInt64?)?
    private var written: UInt64?
    private var busy = false
    private var closed = false
    private var failure: (any Error)?
    private var thread: Thread?
    private var exited = false

    init(directory: StateDirectory) {
        self.directory = directory
        let t = Thread { [self] in loop() }
        t.stackSize = 4 << 20
        thread = t
        t.start()
    }

    /// Queues a checkpoint; throws the failure of an earlier write (disk full, ...), if any.
    /// `tag`: what the caller wants to know is on disk (a shard worker's stream sequence, which it
    /// acknowledges only then); see `writtenTag`.
    func submit(_ cp: EngineCheckpoint, fsync fds: [Int32], tag: UInt64? = nil) throws {
        lock.lock()
        defer { lock.unlock() }
        if let f = failure { throw f }
        pending = (cp, fds, tag ?? pending?.tag)
        lock.broadcast()
    }

    /// The tag of the newest checkpoint on disk (nil before any tagged one).
    var writtenTag: UInt64? {
        lock.lock()
        defer { lock.unlock() }
        return written
    }

    /// Waits until everything queued is on disk; throws a write failure.
    func drain() throws {
        lock.lock()
        defer { lock.unlock() }
        while pending != nil || busy { lock.wait() }
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
            lock.unlock()
            var error: (any Error)?
            do {
                for fd in job.fsync { _ = Glibc.fsync(fd) }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                try directory.writeCheckpoint(Array(try encoder.encode(job.checkpoint)))
            } catch let e {
                error = e
            }
            lock.lock()
            busy = false
            if let e = error, failure == nil { failure = e }
            if error == nil, let t = job.tag { written = t }
            lock.broadcast()
            lock.unlock()
        }
    }
}
