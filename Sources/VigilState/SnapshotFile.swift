import CZstd
import VigilCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Why a snapshot could not be read or written (the CLI exits 4).
public enum StateError: Error, CustomStringConvertible {
    case io(String, errno: Int32)
    case corrupt(String, String)
    /// Another process holds the state directory (`owner`: its pid, when known).
    case locked(String, owner: String)
    /// The directory is not a state directory this Vigil understands.
    case layout(String, String)

    public var description: String {
        switch self {
        case .io(let p, let e): return "\(p): \(String(cString: strerror(e)))"
        case .corrupt(let p, let why): return "\(p): not a usable snapshot (\(why))"
        case .locked(let p, let owner):
            return "state directory \(p) is in use by another Vigil" + (owner.isEmpty ? "" : " (pid \(owner))") + "; one process per state directory"
        case .layout(let p, let why): return "state directory \(p): \(why)"
        }
    }
}

/// A zstd-compressed file written atomically: readers see the old or the new file, never half.
public enum SnapshotFile {
    public static func write(_ bytes: [UInt8], to path: String, level: Int32 = 6) throws {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
        }
        guard ZSTD_isError(n) == 0 else { throw StateError.corrupt(path, String(cString: ZSTD_getErrorName(n))) }
        try out.withUnsafeBytes { try writeAtomically(UnsafeRawBufferPointer(rebasing: $0[0..<n]), to: path) }
    }

    /// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename. Readers see
    /// the old file or the new one, never half of one (the caller fsyncs the directory).
    public static func writeAtomically(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let n = bytes.count
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateError.io(tmp, errno: errno) }
        var off = 0
        while off < n {
            let w = Glibc.write(fd, bytes.baseAddress! + off, n - off)
            if w < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd); unlink(tmp)
                throw StateError.io(tmp, errno: e)
            }
            off += w
        }
        guard fsync(fd) == 0 else { let e = errno; close(fd); unlink(tmp); throw StateError.io(tmp, errno: e) }
        close(fd)
        guard rename(tmp, path) == 0 else { let e = errno; unlink(tmp); throw StateError.io(path, errno: e) }
    }

    /// The file's bytes as they are (no decompression).
    public static func readRaw(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StateError.io(path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        var out: [UInt8] = []
        if fstat(fd, &st) == 0 { out.reserveCapacity(Int(st.st_size)) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw StateError.io(path, errno: errno) }
            if n == 0 { return out }
            out.append(contentsOf: buf[0..<n])
        }
    }

    public static func read(_ path: String, maxBytes: Int = 4 << 30) throws -> [UInt8] {
        let compressed = try readRaw(path)
        let size = compressed.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard size != ZSTD_CONTENTSIZE_ERROR, size != ZSTD_CONTENTSIZE_UNKNOWN, size <= UInt64(maxBytes) else {
            throw StateError.corrupt(path, "not a zstd frame with a known size")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let got = out.withUnsafeMutableBytes { o in
            compressed.withUnsafeBytes { i in ZSTD_decompress(o.baseAddress, o.count, i.baseAddress, i.count) }
        }
        guard ZSTD_isError(got) == 0, got == Int(size) else { throw StateError.corrupt(path, "zstd data damaged") }
        return out
    }
}
