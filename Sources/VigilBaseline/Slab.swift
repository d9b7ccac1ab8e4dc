/// An array of fixed-size records kept in pages of ``pageSize``, which grows a page at a time.
///
/// Why not one `Array`: an array doubles when it fills and copies every record into the new
/// buffer, so at a million principals of ~500 bytes the old and the new buffer (750 MB together)
/// are both resident for the copy, and the peak is half again the live state. A new page here
/// costs one page; records never move, and a slot's record is reached with a shift and a mask.
struct Slab<Element> {
    static var pageShift: Int { 12 }
    static var pageSize: Int { 1 << pageShift }

    private var pages: [[Element]] = []
    private(set) var count = 0

    init() {}

    @inline(__always)
    subscript(_ i: Int) -> Element {
        // Yielded, not returned: reading a field of a record copies neither the record nor the
        // references inside it.
        _read { yield pages[i >> Self.pageShift][i & (Self.pageSize - 1)] }
        _modify { yield &pages[i >> Self.pageShift][i & (Self.pageSize - 1)] }
    }

    /// Lends record `i` to `body` without copying it (a copy of a principal's record retains each
    /// reference inside it; staging a million of them paid that a million times).
    @inline(__always)
    func withRecord<R>(_ i: Int, _ body: (borrowing Element) throws -> R) rethrows -> R {
        try pages[i >> Self.pageShift].withUnsafeBufferPointer { try body($0[i & (Self.pageSize - 1)]) }
    }

    mutating func append(_ e: Element) {
        if count & (Self.pageSize - 1) == 0 {
            var page: [Element] = []
            page.reserveCapacity(Self.pageSize)
            pages.append(page)
        }
        pages[count >> Self.pageShift].append(e)
        count += 1
    }

    /// Records in slot order.
    var all: [Element] { pages.flatMap { $0 } }
}

extension Slab: Sendable where Element: Sendable {}
