import Foundation
import VigilCore
import VigilSources

/// `vigil tail` over sources that deliver whole objects (`s3://`): every `pollSeconds` it asks
/// `discover` for what arrived, and runs that batch through the engine as a replay of those
/// objects would (merged by event time), with the engine, its model and open incidents carried
/// from batch to batch.
///
/// Why batches and not a follower: an object store has no appends to wait for; an object is there
/// whole or not at all. With `--state`, each batch ends in a checkpoint that covers it (positions
/// inside objects too, when a checkpoint falls mid-batch), so a kill -9 at any point resumes at
/// the last checkpoint and every alert reaches `--alerts` exactly once; `committed` then runs, for
/// what may only happen once records are safe (pruning positions, deleting queue messages).
public final class BatchTailer {
    let engine: Engine
    let session: StateSession?
    public var pollSeconds: Double
    /// Polled after each record and while waiting; true ends the run after a final checkpoint.
    public var stopRequested: () -> Bool = { false }
    /// Called after every poll, every second while waiting, and every 10,000 records of a long
    /// batch, on the loop's thread: where metrics are published and liveness is shown.
    public var afterPass: (() -> Void)?
    /// Batches run so far (for metrics and tests).
    public private(set) var batches = 0

    public init(engine: Engine, session: StateSession?, pollSeconds: Double) {
        self.engine = engine
        self.session = session
        self.pollSeconds = pollSeconds
    }

    /// Runs until stopped. `prefetch` is told each batch's final plan (so fetching can start in
    /// the order it will be read); `flush` runs after each batch.
    public func run(discover: () throws -> [Input], prefetch: ([Input]) -> Void, committed: () throws -> Void,
                    emit: (Alert) throws -> Void, deadLetter: (DeadLetter) throws -> Void, flush: () throws -> Void) throws {
        engine.stopRequested = stopRequested
        var items = 0
        engine.afterItem = { [unowned engine, session, afterPass] item in
            if let s = session {
                s.note(item)
                if s.due { try s.save(engine) }
            }
            items += 1
            if items % 10_000 == 0 { afterPass?() }
        }
        while !stopRequested() {
            let found = try discover()
            var inputs = found
            var resume: [String: ResumePoint] = [:]
            if let s = session { (inputs, resume) = s.plan(found) }
            if !inputs.isEmpty {
                prefetch(inputs)
                try engine.run(inputs, resume: resume, mergeFrontier: session?.mergeFrontier, emit: emit, deadLetter: deadLetter)
                batches += 1
                try flush()
                if let s = session { try s.save(engine, wait: true) }
                try committed()
                if engine.stopped { break }
            } else {
                try committed()   // a poll can bring only what needs no reading (unusable queue messages)
            }
            afterPass?()
            let until = Engine.monotonicSeconds() + pollSeconds
            var beat = Engine.monotonicSeconds() + 1
            while !stopRequested(), Engine.monotonicSeconds() < until {
                usleep(50_000)
                if Engine.monotonicSeconds() >= beat { afterPass?(); beat += 1 }
            }
        }
        try flush()
        if let s = session { try s.save(engine, wait: true) }
    }
}
