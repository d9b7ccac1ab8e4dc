import Foundation

/// A first-in first-out queue between one producing thread and one consuming thread, holding at
/// most `capacity` elements: the producer waits for room, the consumer for an element.
///
/// Why one type: reading ahead (``ReadAhead``) and decoding ahead (``DecodeAhead``) hand work
/// between threads the same way, and the subtle parts — the end of the stream, the producer's
/// error arriving after its last element, a consumer that gives up — belong in one place.
final class BoundedQueue<Element>: @unchecked Sendable {
    private let lock = NSCondition()
    private var items: [Element] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Queues `element`, waiting for room; false when the consumer has gone (``cancel()``).
    func put(_ element: Element) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while items.count >= capacity && !cancelled { lock.wait() }
        if cancelled { return false }
        items.append(element)
        lock.broadcast()
        return true
    }

    /// The producer is done, after its last ``put(_:)``; `error` (if any) reaches the consumer
    /// once it has taken every element.
    func finish(_ error: (any Error)?) {
        lock.lock()
        finished = true
        failure = error
        lock.broadcast()
        lock.unlock()
    }

    /// The next element in order; nil at the end. Rethrows the producer's error (other than a
    /// cancellation) after its last element.
    func next() throws -> Element? {
        lock.lock()
        defer { lock.unlock() }
        while items.isEmpty && !finished { lock.wait() }
        if !items.isEmpty {
            let e = items.removeFirst()
            lock.broadcast()
            return e
        }
        if let f = failure, !(f is CancellationError) { throw f }
        return nil
    }

    /// The consumer has gone: a waiting or later ``put(_:)`` returns false. Does not wait for the
    /// producer (which may be blocked reading a pipe that never ends).
    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
    }
}
