import DequeModule
import VigilCore

/// An event ID as a principal's window keeps it: a UUID (CloudTrail's `eventID`, Azure's
/// correlation IDs) as its 16 bytes, anything else as its String.
///
/// Why: most IDs are 36-character UUIDs, which as Strings are a heap allocation of 64 bytes each;
/// as two words they are inline, and they turn back into exactly the same text.
enum CompactEventID: Sendable, Equatable {
    case uuid(UInt64, UInt64, uppercase: Bool)
    case text(String)

    init(_ id: String) {
        self = Self.parseUUID(id) ?? .text(id)
    }

    /// The ID as it was read.
    var string: String {
        switch self {
        case .text(let s): return s
        case .uuid(let hi, let lo, let upper):
            let digits: StaticString = upper ? "0123456789ABCDEF" : "0123456789abcdef"
            return String(unsafeUninitializedCapacity: 36) { out in
                var at = 0
                func put(_ word: UInt64, _ from: Int, _ to: Int) {
                    for n in stride(from: from, through: to, by: -1) {
                        if at == 8 || at == 13 || at == 18 || at == 23 { out[at] = UInt8(ascii: "-"); at += 1 }
                        out[at] = digits.utf8Start[Int((word >> UInt64(n * 4)) & 0xF)]
                        at += 1
                    }
                }
                put(hi, 15, 0)
                put(lo, 15, 0)
                return 36
            }
        }
    }

    /// `8-4-4-4-12` hex digits, all lower or all upper case (so the text comes back byte for byte).
    static func parseUUID(_ s: String) -> CompactEventID? {
        var u = s
        return u.withUTF8 { b -> CompactEventID? in
            guard b.count == 36 else { return nil }
            var hi: UInt64 = 0, lo: UInt64 = 0, nibbles = 0
            var lower = false, upper = false
            for (i, c) in b.enumerated() {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard c == UInt8(ascii: "-") else { return nil }
                    continue
                }
                let v: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c &- UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c &- UInt8(ascii: "a") &+ 10; lower = true
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c &- UInt8(ascii: "A") &+ 10; upper = true
                default: return nil
                }
                if nibbles < 16 { hi = hi << 4 | UInt64(v) } else { lo = lo << 4 | UInt64(v) }
                nibbles += 1
            }
            guard !(lower && upper) else { return nil }
            return .uuid(hi, lo, uppercase: upper)
        }
    }

    func write(to w: inout BinaryWriter) {
        switch self {
        case .uuid(let hi, let lo, let upper):
            w.u8(upper ? 1 : 0)
            w.u64(hi)
            w.u64(lo)
        case .text(let s):
            w.u8(2)
            w.string(s)
        }
    }

    init(from r: inout BinaryReader) throws {
        let at = r.offset
        switch try r.u8() {
        case 0: self = .uuid(try r.u64(), try r.u64(), uppercase: false)
        case 1: self = .uuid(try r.u64(), try r.u64(), uppercase: true)
        case 2: self = .text(try r.string())
        case let t: throw BinaryError.invalid("event ID of kind \(t)", at: at)
        }
    }
}

/// The IDs of the newest events of a principal's window, oldest first, at most ``capacity``.
///
/// Why only the newest: an alert quotes at most ``Limits/alertEvidence`` event IDs, the newest of
/// the window, so the IDs of older entries are never read; the window entries themselves carry none.
/// One more than the evidence cap is kept so the alerting event's own ID can be passed over.
/// The newest ID is inline, so a principal seen once costs no allocation.
struct RecentEventIDs: Sendable, Equatable {
    static let capacity = Limits.alertEvidence + 1

    private var older: Deque<CompactEventID> = []
    private var newest: CompactEventID?

    var count: Int { older.count + (newest == nil ? 0 : 1) }

    mutating func append(_ id: CompactEventID) {
        if let n = newest { older.append(n) }
        newest = id
        if count > Self.capacity { older.removeFirst() }
    }

    /// Drops the oldest IDs until at most `n` remain (the window shrank to `n` entries).
    mutating func trim(to n: Int) {
        while count > n {
            if older.isEmpty { newest = nil } else { older.removeFirst() }
        }
    }

    /// Calls `body` with each ID, oldest first, without building an array.
    func forEach(_ body: (CompactEventID) -> Void) {
        for id in older { body(id) }
        if let n = newest { body(n) }
    }

    /// Oldest first.
    var all: [CompactEventID] {
        var out = Array(older)
        if let n = newest { out.append(n) }
        return out
    }

    var strings: [String] { all.map(\.string) }

    /// Heap bytes these IDs are accounted as (the inline newest costs none beyond the record).
    var accountedBytes: Int { older.isEmpty ? 0 : 32 + older.count &* 24 }
}
