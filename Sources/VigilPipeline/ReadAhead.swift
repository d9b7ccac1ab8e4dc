import Foundation
import VigilSources

/// Runs a `RecordReader` on its own thread, handing batches to the caller through a bounded queue.
///
/// Why: decoding, framing and parsing take about a third of the time; on a second core they overlap
/// with detection. Order is preserved (one producer, one consumer, FIFO), so results are the same
/// as single-threaded. Memory is bounded: at most `depth` batches of `batchSize` items wait.
final class ReadAhead: @unchecked Sendable {
    private let queue: BoundedQueue<[ReadItem]>

    init(depth: Int = 4) { queue = BoundedQueue(capacity: depth) }

    /// What runs on the reading thread: hands every item, in order, to the sink it is given.
    typealias Producer = (_ sink: (ReadItem) throws -> Void) throws -> Void

    /// Starts `produce` in the background.
    func start(_ produce: @escaping Producer, batchSize: Int = 512) {
        nonisolated(unsafe) let produce = produce
        let queue = self.queue
        let thread = Thread {
            var batch: [ReadItem] = []
            batch.reserveCapacity(batchSize)
            do {
                try produce { item in
                    batch.append(item)
                    if batch.count >= batchSize {
                        guard queue.put(batch) else { throw CancellationError() }
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { _ = queue.put(batch) }
                queue.finish(nil)
            } catch {
                if !batch.isEmpty && !(error is CancellationError) { _ = queue.put(batch) }
                queue.finish(error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The next batch in order; nil at the end. Rethrows the reader's error after its last batch.
    func next() throws -> [ReadItem]? { try queue.next() }

    /// Tells the reader to stop (the consumer failed).
    func cancel() { queue.cancel() }
}
