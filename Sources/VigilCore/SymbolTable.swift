#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interned Strings for the values that repeat from record to record (principals, actions, user
/// agents, access keys), looked up by the bytes of the record itself.
///
/// Why: an event is printed only when an alert is built, yet each of its fields used to become a
/// new heap String per record, only to be compared, hashed and freed. A value seen before is found
/// here by its ``StableHash`` key (which the event needs anyway) and confirmed with a `memcmp`;
/// the event then holds a reference to the one stored String. Values that fit in a String's inline
/// storage (15 bytes: regions, account ids, most IPv4 addresses) are built directly, since they
/// cost no allocation.
///
/// Bounded: at `maxEntries` values or `maxBytes` of text the table is emptied and starts over
/// (Strings already handed out stay valid: they are reference-counted), counted as a reset in
/// `--stats`. Results never depend on it: an interned String and a new one are equal.
///
/// One reading thread owns a table (the reader that parses with it); it is not locked.
public final class SymbolTable: @unchecked Sendable {
    public let maxEntries: Int
    public let maxBytes: Int
    private var index = KeyIndex(capacity: 1024)
    private var strings: [String] = []
    /// Text held, in bytes (what `maxBytes` bounds), plus 32 per entry for the String's header.
    public private(set) var bytes = 0
    /// Times the table was full and started over.
    public private(set) var resets = 0

    /// The default caps hold the distinct principals, agents and keys of a large organisation
    /// (about 40 MiB at most); `maxEntries: 0` interns nothing.
    public init(maxEntries: Int = 262_144, maxBytes: Int = 32 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// A table that holds nothing (every value is built): for parsing without a reader's table.
    /// Never changes, so any thread may use it.
    public static let uninterned = SymbolTable(maxEntries: 0)

    /// Values held.
    public var count: Int { strings.count }

    /// The String of `text` (valid UTF-8) and its `fnv1a` key.
    @inline(__always)
    public func string(_ text: UnsafeRawBufferPointer) -> (String, UInt64) {
        let key = StableHash.fnv1a(text)
        return (string(text, key: key), key)
    }

    /// The String of `text` when its key is not wanted: values short enough to be built inline are
    /// not hashed at all.
    @inline(__always)
    public func value(_ text: UnsafeRawBufferPointer) -> String {
        text.count <= 15 || maxEntries == 0 ? String(decoding: text, as: UTF8.self) : string(text, key: StableHash.fnv1a(text))
    }

    /// The String of `text`, whose `fnv1a` is `key`.
    public func string(_ text: UnsafeRawBufferPointer, key: UInt64) -> String {
        let n = text.count
        if n <= 15 || maxEntries == 0 { return String(decoding: text, as: UTF8.self) }
        if let i = index.find(key, where: { Self.same(strings[$0], text) }) { return strings[i] }
        if strings.count >= maxEntries || bytes + n + 32 > maxBytes {
            index.removeAll()
            strings.removeAll(keepingCapacity: true)
            bytes = 0
            resets += 1
        }
        let s = String(decoding: text, as: UTF8.self)
        index.insert(key, strings.count)
        strings.append(s)
        bytes += n + 32
        return s
    }

    @inline(__always) static func same(_ s: String, _ text: UnsafeRawBufferPointer) -> Bool {
        s.utf8.withContiguousStorageIfAvailable { b in
            b.count == text.count && memcmp(b.baseAddress!, text.baseAddress!, b.count) == 0
        } ?? false
    }
}
