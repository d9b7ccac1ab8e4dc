import Foundation

/// Where the bytes of ``RemoteObject`` inputs come from: an object store's client (S3 in
/// `VigilAWS`). Sources know nothing of the network; the store does.
public protocol ObjectStore: AnyObject, Sendable {
    /// The whole object as stored (compressed or not: the decoders recognise it by its bytes).
    /// Throws ``SourceError/remote(_:reason:)`` when it cannot be had after the client's retries.
    func bytes(of object: RemoteObject) throws -> [UInt8]
}

/// An object to read as one input, named `s3://bucket/key`.
///
/// Why the whole object in memory and no temporary file: CloudTrail writes an object per account
/// and region about every five minutes, so objects are small (kilobytes to a few megabytes
/// compressed), and a bounded number are held at once (``ObjectPrefetcher``). Identity is the
/// name: objects of a log bucket are written once and never changed.
public struct RemoteObject: Sendable, Hashable {
    public let name: String
    /// Size in bytes, from the listing.
    public let size: Int64
    public let store: any ObjectStore

    public init(name: String, size: Int64, store: any ObjectStore) {
        self.name = name
        self.size = size
        self.store = store
    }

    public static func == (a: RemoteObject, b: RemoteObject) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }
}

/// Fetches objects ahead of the reader, several at once, in the order they will be read.
///
/// The reader asks for objects in its order (the merge order, which is the listing's order by the
/// times in the names); while it works on one, the next `depth` are already on their way, so the
/// round trips overlap each other and the decoding. At most `depth` fetched objects wait in memory.
/// An object asked for out of order (a probe of a name without a time) is fetched on the spot.
/// Failures are kept and thrown when that object is asked for, never earlier, so an error names
/// the object the run reached.
public final class ObjectPrefetcher: @unchecked Sendable {
    private enum Slot {
        case queued
        case inFlight
        case ready(Result<[UInt8], Error>)
        case taken
    }
    /// What the worker threads share with the reader (the threads hold this, not the prefetcher,
    /// so the prefetcher's end stops them).
    private final class Shared: @unchecked Sendable {
        let cond = NSCondition()
        var slots: [Int: Slot] = [:]
        var work: [Int] = []
        var stopping = false
    }
    private let order: [String]
    private let position: [String: Int]
    private let depth: Int
    private let fetch: @Sendable (String) throws -> [UInt8]
    private let shared = Shared()
    private var workersStarted = false

    public init(order: [String], depth: Int, fetch: @escaping @Sendable (String) throws -> [UInt8]) {
        self.order = order
        var pos: [String: Int] = [:]
        for (i, n) in order.enumerated() where pos[n] == nil { pos[n] = i }
        position = pos
        self.depth = max(1, depth)
        self.fetch = fetch
    }

    deinit {
        shared.cond.lock()
        shared.stopping = true
        shared.cond.broadcast()
        shared.cond.unlock()
    }

    /// The object named `name`, waiting for it when it is already on its way.
    public func bytes(of name: String) throws -> [UInt8] {
        guard let i = position[name] else { return try fetch(name) }
        let s = shared
        s.cond.lock()
        let slot = s.slots[i]
        if slot == nil || { if case .queued? = slot { return true } else { return false } }() {
            s.slots[i] = .taken   // not started (the first, or out of order): fetched here
            s.work.removeAll { $0 == i }
            queueWindow(after: i)
            s.cond.unlock()
            return try fetch(name)
        }
        queueWindow(after: i)
        while true {
            switch s.slots[i] {
            case .ready(let r)?:
                s.slots[i] = .taken
                s.cond.unlock()
                return try r.get()
            case .taken?:
                s.cond.unlock()   // asked for again (a probe, then the read)
                return try fetch(name)
            default:
                s.cond.wait()
            }
        }
    }

    /// Queues the `depth` objects after `i` that are not queued yet, for the workers (lock held).
    private func queueWindow(after i: Int) {
        if !workersStarted { startWorkers() }
        var k = i + 1
        while k < order.count, k <= i + depth {
            if shared.slots[k] == nil {
                shared.slots[k] = .queued
                shared.work.append(k)
            }
            k += 1
        }
        shared.cond.broadcast()
    }

    /// `depth` threads of their own, not the shared dispatch pool: a fetch blocks on the network,
    /// and the pool gives blocked work no more threads than there are cores.
    private func startWorkers() {
        workersStarted = true
        let s = shared, names = order, fetch = fetch
        for _ in 0..<depth {
            let t = Thread {
                s.cond.lock()
                while true {
                    if s.stopping { break }
                    guard !s.work.isEmpty else { s.cond.wait(); continue }
                    let k = s.work.removeFirst()
                    s.slots[k] = .inFlight
                    s.cond.unlock()
                    let r = Result { try fetch(names[k]) }
                    s.cond.lock()
                    if case .inFlight? = s.slots[k] { s.slots[k] = .ready(r) }
                    s.cond.broadcast()
                }
                s.cond.unlock()
            }
            t.name = "vigil-fetch"
            t.start()
        }
    }
}
