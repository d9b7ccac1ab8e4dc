import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A state directory (`--state DIR`): a versioned layout, held by one Vigil at a time.
///
/// Layout (version 2): `VERSION` (`vigil-state 2`), `lock` (flock; holds the owner's pid for the
/// error message), the binary checkpoint (`MANIFEST` naming a `base-N.vcp` and its `delta-N.vcp`
/// files, `MANIFEST.prev` the one before; see `StateDirectory+Checkpoints.swift`). Responders add
/// their own files (outbox, audit chain) beside these. Version 1 directories (one JSON
/// `checkpoint.zst`) are read and upgraded: the first binary checkpoint replaces the JSON one.
///
/// Why a lock: two processes resuming from one checkpoint would both truncate and append the same
/// alerts file. The lock is an `flock` on an open descriptor, so the kernel drops it when the
/// process dies, even by SIGKILL: a crashed Vigil never leaves a stale lock behind.
public final class StateDirectory {
    public static let layoutVersion = 2
    public let path: String
    private var lockFD: Int32
    /// The manifests on disk (current and previous), once read or written.
    var manifest: CheckpointManifest?
    var previousManifest: CheckpointManifest?

    /// Opens (creating, mode 0700) and locks `path`. Throws `StateError` when another process holds
    /// it, or when the layout version is not this Vigil's.
    public init(path: String) throws {
        self.path = path
        var st = stat()
        if stat(path, &st) != 0 {
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw StateError.io(path, errno: errno) }
        } else if (st.st_mode & S_IFMT) != S_IFDIR {
            throw StateError.layout(path, "not a directory")
        }
        let lockPath = path + "/lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateError.io(lockPath, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let owner = StateDirectory.readSmall(fd).trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw StateError.locked(path, owner: owner)
        }
        lockFD = fd
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        try checkVersion()
        removeStaleTemporaries()
    }

    /// A checkpoint write killed half-way leaves its temporary file behind; the rename never
    /// happened, so it is garbage. Safe to remove: we hold the lock, nobody else is writing.
    private func removeStaleTemporaries() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.contains(".tmp.") {
            unlink(path + "/" + name)
        }
    }

    deinit { unlock() }

    /// Releases the directory for the next process (also done when this object goes away or the
    /// process dies). Nothing may be written afterwards.
    public func unlock() {
        if lockFD >= 0 { close(lockFD) }
        lockFD = -1
    }

    /// The JSON checkpoint of a version 1 directory (read once, then replaced by binary ones).
    public var legacyCheckpointPath: String { path + "/checkpoint.zst" }
    /// What error messages name as the checkpoint.
    public var checkpointPath: String { path + "/MANIFEST" }

    /// Makes a rename inside the directory durable (a power loss could otherwise undo it).
    public func syncDirectory() {
        let d = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if d >= 0 { _ = fsync(d); close(d) }
    }

    private func checkVersion() throws {
        let vpath = path + "/VERSION"
        let expected = "vigil-state \(StateDirectory.layoutVersion)"
        let fd = open(vpath, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            guard errno == ENOENT else { throw StateError.io(vpath, errno: errno) }
            if access(legacyCheckpointPath, F_OK) == 0 || access(checkpointPath, F_OK) == 0 {
                throw StateError.layout(path, "checkpoint without a VERSION file")
            }
            try writeVersion(expected)
            return
        }
        let found = StateDirectory.readSmall(fd).trimmingCharacters(in: .whitespacesAndNewlines)
        close(fd)
        if found == "vigil-state 1" {
            // Upgrade: its JSON checkpoint is read as before; the next checkpoint is binary. An
            // older Vigil refuses the directory from now on rather than misread it.
            try writeVersion(expected)
            return
        }
        guard found == expected else {
            throw StateError.layout(path, "layout '\(found)' is not '\(expected)' (written by another Vigil version)")
        }
    }

    private func writeVersion(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        try bytes.withUnsafeBytes { try SnapshotFile.writeAtomically($0, to: path + "/VERSION") }
        syncDirectory()
    }

    static func readSmall(_ fd: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 256, 0) }
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
    }
}
