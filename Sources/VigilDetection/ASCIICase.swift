/// ASCII case folding for byte-level matching (rule needles, Sigma values, record keys, event names).
///
/// Why ASCII only: it allocates nothing and runs on every event; SQL backends' `LIKE` and `NOCASE`,
/// which Sigma's semantics are usually checked against, fold ASCII only too.
enum ASCIICase {
    /// The byte with `A`…`Z` turned into `a`…`z`.
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }
}
