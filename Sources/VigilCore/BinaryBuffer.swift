/// Little-endian bytes for checkpoint records: fixed-width numbers, varints and length-prefixed
/// strings, written into one growing buffer and read back with bounds checks.
///
/// Why not Codable: a checkpoint of a million principals is tens of millions of numbers; through
/// an `Encoder` each costs a dynamic call and a container, by hand it is a store. Stage types that
/// hold the bulk of the state (per-principal records, the dedupe memory) write themselves with
/// these; the rest goes through `BinaryCoder` (VigilState), which is built on them.
/// - Complexity: every operation is O(1) in the bytes it writes or reads.
public struct BinaryWriter: Sendable {
    /// Storage, zero beyond `used`: its length runs ahead of what is written, so a number is
    /// stored in place rather than appended (an append of eight bytes is a `memmove` call, which
    /// was half the cost of staging a million principals).
    @usableFromInline var storage: [UInt8]
    @usableFromInline var used = 0

    public init(capacity: Int = 0) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    public var count: Int { used }

    /// The bytes written so far (a copy).
    public var bytes: [UInt8] { Array(storage[0..<used]) }

    /// Makes room for `n` more bytes.
    @inlinable @inline(__always) mutating func ensure(_ n: Int) {
        if used &+ n > storage.count { grow(n) }
    }

    /// Zero-fills ahead in steps of 64 KiB within the capacity (pages are touched as they will be
    /// written), doubling the capacity when it runs out.
    @usableFromInline mutating func grow(_ n: Int) {
        let need = used + n
        if need > storage.capacity { storage.reserveCapacity(max(need, storage.capacity * 2)) }
        let target = min(storage.capacity, max(need, storage.count + 65_536))
        storage.append(contentsOf: repeatElement(0, count: target - storage.count))
    }

    @inlinable @inline(__always) public mutating func u8(_ v: UInt8) {
        ensure(1)
        storage[used] = v
        used &+= 1
    }

    @inlinable @inline(__always) public mutating func u32(_ v: UInt32) {
        ensure(4)
        let at = used
        storage.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self) }
        used &+= 4
    }

    @inlinable @inline(__always) public mutating func u64(_ v: UInt64) {
        ensure(8)
        let at = used
        storage.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt64.self) }
        used &+= 8
    }

    @inlinable @inline(__always) public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// The IEEE bits, so every value (NaN payloads, -0) comes back identical.
    @inlinable @inline(__always) public mutating func f64(_ v: Double) { u64(v.bitPattern) }

    /// LEB128: 7 bits per byte, small numbers in one byte.
    @inlinable @inline(__always) public mutating func varint(_ v: UInt64) {
        ensure(10)
        var at = used
        storage.withUnsafeMutableBufferPointer { p in
            var x = v
            while x >= 0x80 {
                p[at] = UInt8(truncatingIfNeeded: x) | 0x80
                x >>= 7
                at &+= 1
            }
            p[at] = UInt8(x)
            at &+= 1
        }
        used = at
    }

    /// Makes room for `n` more bytes at once (a section's size is known roughly in advance;
    /// growing a 50 MB buffer by doubling copies it several times). Touches no memory.
    @inlinable public mutating func reserve(_ n: Int) { storage.reserveCapacity(max(storage.count, used + n)) }

    /// A signed number as a zigzag varint (small magnitudes either side of 0 stay short).
    @inlinable @inline(__always) public mutating func zigzag(_ v: Int64) {
        varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    @inlinable @inline(__always) public mutating func int(_ v: Int) { zigzag(Int64(v)) }

    @inlinable @inline(__always) public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }

    @inlinable public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            varint(UInt64(u.count))
            raw(UnsafeRawBufferPointer(u))
        }
    }

    @inlinable public mutating func raw(_ p: UnsafeRawBufferPointer) {
        guard p.count > 0 else { return }
        ensure(p.count)
        let at = used
        storage.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[at..<(at + p.count)]).copyMemory(from: p) }
        used &+= p.count
    }

    public mutating func raw(_ b: [UInt8]) { b.withUnsafeBytes { raw($0) } }

    /// Overwrites four bytes at `offset` (a length known only after what it measures was written).
    public mutating func patchU32(at offset: Int, _ v: UInt32) {
        precondition(offset >= 0 && offset + 4 <= used, "patch inside what was written")
        storage.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self) }
    }

    /// Hands the bytes over, leaving the writer empty.
    public mutating func take() -> [UInt8] {
        storage.removeLast(storage.count - used)
        defer {
            storage = []
            used = 0
        }
        return storage
    }
}

/// Why a record could not be read: the bytes end early, or hold something no writer writes.
/// Checkpoint sections are checksummed before they are read, so either means a bug or a file
/// from elsewhere; the message says where.
public enum BinaryError: Error, CustomStringConvertible, Equatable {
    case truncated(at: Int, wanted: Int)
    case invalid(String, at: Int)

    public var description: String {
        switch self {
        case .truncated(let at, let wanted): return "record ends at byte \(at), \(wanted) more expected"
        case .invalid(let what, let at): return "\(what) at byte \(at)"
        }
    }
}

/// Reads what ``BinaryWriter`` wrote, in the same order, never past the end.
public struct BinaryReader {
    public let bytes: [UInt8]
    public var offset: Int
    public let end: Int

    public init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        offset = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    public var isAtEnd: Bool { offset >= end }
    @inlinable public var remaining: Int { end - offset }

    @inlinable @inline(__always) mutating func need(_ n: Int) throws {
        guard n >= 0, end - offset >= n else { throw BinaryError.truncated(at: offset, wanted: n - (end - offset)) }
    }

    @inlinable @inline(__always) public mutating func u8() throws -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inlinable @inline(__always) public mutating func u32() throws -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    @inlinable @inline(__always) public mutating func u64() throws -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    @inlinable @inline(__always) public mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    @inlinable @inline(__always) public mutating func f64() throws -> Double { Double(bitPattern: try u64()) }

    @inlinable @inline(__always) public mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            guard shift < 64 else { throw BinaryError.invalid("varint longer than 64 bits", at: offset - 1) }
            v |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    @inlinable @inline(__always) public mutating func zigzag() throws -> Int64 {
        let u = try varint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inlinable @inline(__always) public mutating func int() throws -> Int {
        let v = try zigzag()
        guard let i = Int(exactly: v) else { throw BinaryError.invalid("integer out of range", at: offset) }
        return i
    }

    @inlinable public mutating func bool() throws -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw BinaryError.invalid("not a boolean", at: offset - 1)
        }
    }

    /// A count of things to follow, each at least `minBytes` long: a damaged count cannot make the
    /// reader reserve more than the record holds.
    @inlinable public mutating func count(minBytes: Int = 1) throws -> Int {
        let n = try varint()
        guard n <= UInt64(remaining / max(1, minBytes)) else {
            throw BinaryError.invalid("count \(n) exceeds what the record holds", at: offset)
        }
        return Int(n)
    }

    @inlinable public mutating func string() throws -> String {
        let n = try count()
        try need(n)
        defer { offset += n }
        return String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
    }

    /// `n` raw bytes.
    public mutating func raw(_ n: Int) throws -> ArraySlice<UInt8> {
        try need(n)
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    /// Moves to `position` (within the record).
    public mutating func seek(_ position: Int) throws {
        guard position >= 0, position <= end else { throw BinaryError.invalid("seek outside the record", at: offset) }
        offset = position
    }
}
