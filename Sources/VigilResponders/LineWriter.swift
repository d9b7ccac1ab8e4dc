import VigilCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Why an output could not be written (the CLI exits 2 for an unopenable path).
public enum ResponderError: Error, CustomStringConvertible {
    case cannotOpen(String, errno: Int32)
    case writeFailed(String, errno: Int32)
    case shorterThanCheckpoint(String, has: Int64, expected: Int64)
    /// A file Vigil must trust (config, policy, key, action command) is writable by others, or
    /// otherwise unusable.
    case insecure(String, String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let e): return "cannot open \(p) for writing: \(String(cString: strerror(e)))"
        case .writeFailed(let p, let e): return "cannot write \(p): \(String(cString: strerror(e)))"
        case let .insecure(p, why): return "\(p): \(why)"
        case let .shorterThanCheckpoint(p, has, expected):
            return "\(p) holds \(has) bytes but the checkpoint covers \(expected): it was truncated or replaced outside Vigil (move it aside, or start with a fresh --state)"
        }
    }
}

/// Buffered newline-terminated writes to a file (created 0600, truncated) or stdout (`-`).
///
/// Why buffered: one `write(2)` per alert would dominate replay of noisy archives. `flush()` is
/// called at the end and whenever the buffer passes 64 KiB.
public final class LineWriter {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var lines = 0
    /// Bytes in the file once everything written so far is flushed (including what `keeping` kept).
    public private(set) var writtenBytes: Int64 = 0
    /// Bytes `keeping` cut off the end (written after the checkpoint; they will be written again).
    public private(set) var cutBytes: Int64 = 0

    public init(path: String, append: Bool = false) throws {
        self.path = path
        if path == "-" {
            fd = 1
        } else {
            let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
            let f = open(path, flags, 0o600)
            guard f >= 0 else { throw ResponderError.cannotOpen(path, errno: errno) }
            fd = f
        }
        buffer.reserveCapacity(1 << 16)
    }

    /// Opens `path` keeping only its first `keeping` bytes (what a checkpoint covers) and appends
    /// after them. Throws `shorterThanCheckpoint` when the file holds fewer bytes than that.
    public init(path: String, keeping: Int64) throws {
        self.path = path
        let f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard f >= 0 else { throw ResponderError.cannotOpen(path, errno: errno) }
        var st = stat()
        guard fstat(f, &st) == 0 else { close(f); throw ResponderError.cannotOpen(path, errno: errno) }
        guard Int64(st.st_size) >= keeping else {
            close(f)
            throw ResponderError.shorterThanCheckpoint(path, has: Int64(st.st_size), expected: keeping)
        }
        cutBytes = Int64(st.st_size) - keeping
        guard ftruncate(f, off_t(keeping)) == 0, lseek(f, 0, SEEK_END) >= 0 else {
            let e = errno
            close(f)
            throw ResponderError.writeFailed(path, errno: e)
        }
        fd = f
        writtenBytes = keeping
        buffer.reserveCapacity(1 << 16)
    }

    /// The file descriptor (for an fsync from the checkpoint thread).
    public var descriptor: Int32 { fd }


    deinit {
        try? flush()
        if fd > 2 { close(fd) }
    }

    public func write(_ line: String) throws {
        buffer.append(contentsOf: line.utf8)
        buffer.append(10)
        lines += 1
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func flush() throws {
        var off = 0
        while off < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                buffer.removeAll()
                throw ResponderError.writeFailed(path, errno: errno)
            }
            off += n
        }
        writtenBytes += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }
}
