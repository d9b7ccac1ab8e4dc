import Foundation
import VigilSources

/// A bucket's objects as Vigil inputs: listed (``S3Listing``), then fetched ahead of the reader,
/// several at once (``ObjectPrefetcher``), each handed to the decoders whole.
///
/// `replay s3://…` reads the same bytes in the same order as `replay` of the same objects on disk
/// (the merge orders both by the times in the names), so the alerts are the same byte for byte;
/// only the input names in evidence positions differ (`s3://bucket/key` for the path).
public final class S3Objects: ObjectStore, @unchecked Sendable {
    public let client: S3Client
    private var prefetcher: ObjectPrefetcher?
    private let lock = NSLock()
    private var counters = (listed: 0, read: 0, bytes: Int64(0), newest: Int64.min)
    /// Objects fetched ahead of the one being read.
    public let depth: Int

    public init(client: S3Client, depth: Int = 8) {
        self.client = client
        self.depth = depth
    }

    /// Lists `location` (narrowed to `days`) and returns one input per object, in reading order.
    public func inputs(_ location: S3Location, days: ClosedRange<Int>?) throws -> (inputs: [Input], listCalls: Int) {
        var listing = S3Listing(client: client, location: location, days: days)
        let entries = try listing.keys()
        let inputs = entries.map { Input.object(RemoteObject(name: location.name(of: $0.key), size: $0.size, store: self)) }
        lock.lock()
        counters.listed += entries.count
        lock.unlock()
        return (inputs, listing.calls)
    }

    /// Counts objects a follower listed (a replay's listing counts its own).
    public func noteListed(_ n: Int) {
        lock.lock()
        counters.listed += n
        lock.unlock()
    }

    /// Starts fetching ahead in the order the reader will ask (call once the plan is final: after
    /// a resumed run has left out the objects it had finished).
    public func prefetch(_ order: [Input]) {
        let names = order.compactMap { if case .object(let o) = $0, o.store === self { return o.name } else { return nil } }
        let bucketPrefix = "s3://\(client.bucket)/"
        let c = client
        prefetcher = ObjectPrefetcher(order: names, depth: depth) { name in
            try c.get(String(name.dropFirst(bucketPrefix.count)))
        }
    }

    /// With `keepFailures` (objects announced by a queue), an object that cannot be had is read
    /// as empty and its error kept in `failures`, so one missing or forbidden object does not stop
    /// the others; the queue reader decides what becomes of its message.
    public var keepFailures = false
    private var failed: [String: AWSError] = [:]

    /// Objects that could not be had (with `keepFailures`), by name; taking them empties the list.
    public func takeFailures() -> [String: AWSError] {
        lock.lock()
        defer { failed = [:]; lock.unlock() }
        return failed
    }

    public func bytes(of object: RemoteObject) throws -> [UInt8] {
        let key = String(object.name.dropFirst("s3://\(client.bucket)/".count))
        let bytes: [UInt8]
        do {
            bytes = try prefetcher?.bytes(of: object.name) ?? client.get(key)
        } catch let e as AWSError {
            guard keepFailures else { throw SourceError.remote(object.name, reason: e.description) }
            lock.lock()
            failed[object.name] = e
            lock.unlock()
            return []
        }
        lock.lock()
        counters.read += 1
        counters.bytes += Int64(bytes.count)
        if let t = InputPlanner.nameTimeMillis(object.name) { counters.newest = max(counters.newest, t) }
        lock.unlock()
        return bytes
    }

    /// Objects listed and read, bytes read, and the newest object's time (from its name; ms, or
    /// `Int64.min` when none had one), for `--stats` and `/metrics`.
    public var stats: (listed: Int, read: Int, bytes: Int64, newestObjectTime: Int64) {
        lock.lock()
        defer { lock.unlock() }
        return (counters.listed, counters.read, counters.bytes, counters.newest)
    }
}
