import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// Alerts waiting for a webhook, one file each, in the state directory (`outbox/`), so that they
/// survive receiver outages and restarts. A file is written (temp, fsync, rename) before delivery is
/// tried and removed once the receiver accepted it; one given up moves to `outbox/dead/`. Names are
/// `<target key>.<alert id>.json`, so an alert re-emitted after a restart lands on the same file.
public final class Outbox: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()

    public init(directory: String) throws {
        self.directory = directory
        for d in [directory, directory + "/dead"] {
            if mkdir(d, 0o700) != 0 && errno != EEXIST { throw ResponderError.cannotOpen(d, errno: errno) }
        }
    }

    public struct Entry: Hashable, Sendable {
        public var target: String
        public var alertID: String
        public var file: String { "\(target).\(alertID).json" }
    }

    /// Queues `body` for `target`; returns false when that alert is already queued for it.
    @discardableResult
    public func put(_ entry: Entry, body: [UInt8]) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let path = directory + "/" + entry.file
        if access(path, F_OK) == 0 { return false }
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ResponderError.cannotOpen(tmp, errno: errno) }
        var off = 0
        while off < body.count {
            let n = body.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; let e = errno; close(fd); throw ResponderError.writeFailed(tmp, errno: e) }
            off += n
        }
        _ = fsync(fd)
        close(fd)
        guard rename(tmp, path) == 0 else { throw ResponderError.writeFailed(path, errno: errno) }
        return true
    }

    /// Everything queued, oldest first (by modification time, then name).
    public func pending() -> [Entry] {
        lock.lock()
        defer { lock.unlock() }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var found: [(Entry, Double)] = []
        for n in names where n.hasSuffix(".json") {
            let parts = n.dropLast(5).split(separator: ".", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let attrs = try? FileManager.default.attributesOfItem(atPath: directory + "/" + n)
            let t = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            found.append((Entry(target: String(parts[0]), alertID: String(parts[1])), t))
        }
        return found.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.file < $1.0.file }.map(\.0)
    }

    public func body(_ e: Entry) -> [UInt8]? {
        FileManager.default.contents(atPath: directory + "/" + e.file).map { [UInt8]($0) }
    }

    /// Delivered: forget it.
    public func remove(_ e: Entry) {
        lock.lock()
        defer { lock.unlock() }
        unlink(directory + "/" + e.file)
    }

    /// Given up: kept aside for a person, out of the retry loop.
    public func bury(_ e: Entry) {
        lock.lock()
        defer { lock.unlock() }
        _ = rename(directory + "/" + e.file, directory + "/dead/" + e.file)
    }
}
