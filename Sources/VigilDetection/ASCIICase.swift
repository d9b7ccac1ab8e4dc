/// ASCII case folding for byte-level matching (rule needles, Sigma values, record keys, event names).
///
/// Why ASCII only: it allocates nothing and runs on every event; SQL backends' `LIKE` and `NOCASE`,
/// which Sigma's semantics are usually checked against, fold ASCII only too.
enum ASCIICase {
    /// The byte with `A`…`Z` turned into `a`…`z`.
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

    /// The byte offset just past the first occurrence of `needle` (lowercase ASCII when `fold`) in
    /// `haystack`, or nil. No allocation for native strings (Foundation's `contains` and
    /// `range(of:)` bridge through NSString on Linux and cost microseconds per event). O(n · m).
    static func find(_ needle: [UInt8], in haystack: String, fold: Bool = false) -> Int? {
        func scan(_ h: UnsafeBufferPointer<UInt8>) -> Int? {
            let m = needle.count
            guard m > 0, h.count >= m else { return m == 0 ? 0 : nil }
            var i = 0
            while i <= h.count - m {
                var j = 0
                while j < m, (fold ? lower(h[i + j]) : h[i + j]) == needle[j] { j += 1 }
                if j == m { return i + m }
                i += 1
            }
            return nil
        }
        if let r = haystack.utf8.withContiguousStorageIfAvailable(scan) { return r }
        return Array(haystack.utf8).withUnsafeBufferPointer(scan)
    }
}
