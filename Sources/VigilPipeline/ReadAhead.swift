import Foundation
import VigilSources

/// Runs a `RecordReader` on its own thread, handing batches to the caller through a bounded queue.
///
/// Why: decoding, framing and parsing take about a third of the time; on a second core they overlap
/// with detection. Order is preserved (one producer, one consumer, FIFO), so results are the same
/// as single-threaded. Memory is bounded: at most `depth` batches of `batchSize` items wait.
final class ReadAhead: @unchecked Sendable {
    private let lock = NSCondition()
    private var batches: [[ReadItem]] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private let depth: Int

    init(depth: Int = 8) { self.depth = depth }

    /// What runs on the reading thread: hands every item, in order, to the sink it is given.
    typealias Producer = (_ sink: (ReadItem) throws -> Void) throws -> Void

    /// Starts `produce` in the background.
    func start(_ produce: @escaping Producer, batchSize: Int = 512) {
        nonisolated(unsafe) let produce = produce
        let thread = Thread { [self] in
            var batch: [ReadItem] = []
            batch.reserveCapacity(batchSize)
            do {
                try produce { item in
                    batch.append(item)
                    if batch.count >= batchSize {
                        guard self.put(batch) else { throw CancellationError() }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { _ = self.put(batch) }
                self.finish(nil)
            } catch {
                if !batch.isEmpty && !(error is CancellationError) { _ = self.put(batch) }
                self.finish(error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for room, then queues a batch; false when the consumer has gone.
    private func put(_ batch: [ReadItem]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while batches.count >= depth && !cancelled { lock.wait() }
        if cancelled { return false }
        batches.append(batch)
        lock.broadcast()
        return true
    }

    private func finish(_ error: (any Error)?) {
        lock.lock()
        finished = true
        failure = error
        lock.broadcast()
        lock.unlock()
    }

    /// The next batch in order; nil at the end. Rethrows the reader's error after its last batch.
    func next() throws -> [ReadItem]? {
        lock.lock()
        defer { lock.unlock() }
        while batches.isEmpty && !finished { lock.wait() }
        if !batches.isEmpty {
            let b = batches.removeFirst()
            lock.broadcast()
            return b
        }
        if let f = failure, !(f is CancellationError) { throw f }
        return nil
    }

    /// Tells the reader to stop (the consumer failed).
    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
    }
}
