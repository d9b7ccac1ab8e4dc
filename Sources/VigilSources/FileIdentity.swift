import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which file an offset belongs to: device and inode, plus a hash of its first bytes.
///
/// Why the hash: inode numbers are reused (delete-and-recreate can hand the new file the old inode)
/// and copytruncate keeps the inode while replacing the content. A checkpoint offset is only trusted
/// when all three still match.
public struct FileIdentity: Codable, Sendable, Equatable {
    public static let headBytes = 1024
    public var device: UInt64
    public var inode: UInt64
    /// SHA-256 (hex) of the first `headLength` bytes.
    public var head: String
    public var headLength: Int

    /// The identity of an open file: reads at most `headBytes` from offset 0 (does not move `fd`).
    public static func of(fd: Int32) -> FileIdentity? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let n = min(Int(st.st_size), headBytes)
        guard let bytes = readHead(fd, n) else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), head: Digest.sha256Hex(bytes), headLength: bytes.count)
    }

    /// True when `fd` is this file: same device and inode, and the same first `headLength` bytes.
    public func matches(fd: Int32) -> Bool {
        var st = stat()
        guard fstat(fd, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode,
              Int(st.st_size) >= headLength, let bytes = FileIdentity.readHead(fd, headLength) else { return false }
        return bytes.count == headLength && Digest.sha256Hex(bytes) == head
    }

    static func readHead(_ fd: Int32, _ n: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, n - got, off_t(got)) }
            if r < 0 { if errno == EINTR { continue }; return nil }
            if r == 0 { break }
            got += r
        }
        return Array(buf[0..<got])
    }
}
