#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import VigilCore

// How a ``ForestStorage``'s node records sit in memory and in snapshots: the block they live in,
// the lane count of a box, and the reading of snapshots written with the earlier 152-byte records.

/// The sizes of a node record.
enum NodeLayout {
    /// Box lanes for `dims` features: room for `dims` values and the three words of other fields
    /// (split value, right child; feature and point count go in the maxima's padding), rounded up to
    /// SIMD8 lanes. 13 features (the log model) give 16 lanes: a 128-byte record, two cache lines.
    static func stride(dims: Int) -> Int { (dims + 3 + 7) / 8 * 8 }

    /// Version of the record layout written in snapshots. Snapshots without it hold layout 1:
    /// `roundUp8(dims)` lanes of zero padding, then split (two words), feature, left, right and size.
    static let current = 2

    /// Flipped into the feature, right child and point count words. Why: they sit in box lanes
    /// that the box test compares as floats, and small integers read as floats are denormal, which
    /// the processor may handle slowly; flipped, they read as ordinary numbers (1 ≤ |x| < 4).
    static let fieldMask: UInt32 = 0x3F80_0000
}

/// The node records' memory: one block aligned to a cache line, so a record never straddles one
/// line more than it must. Shared between copies of a forest until one of them builds a tree
/// (``ForestStorage`` copies it first); never written while shared.
final class NodeBlock: @unchecked Sendable {
    let words: Int
    let base: UnsafeMutableRawPointer

    init(words: Int) {
        self.words = words
        base = UnsafeMutableRawPointer.allocate(byteCount: max(1, words) * 4, alignment: 64)
        base.initializeMemory(as: UInt32.self, repeating: 0, count: words)
    }

    func copy() -> NodeBlock {
        let c = NodeBlock(words: words)
        c.base.copyMemory(from: base, byteCount: words * 4)
        return c
    }

    deinit { base.deallocate() }
}

extension ForestStorage {
    /// Word `i` of the node records (tests read fields through it).
    func word(_ i: Int) -> UInt32 { withExtendedLifetime(block) { block.base.load(fromByteOffset: i * 4, as: UInt32.self) } }
}

extension ForestStorage: Codable {
    enum CodingKeys: String, CodingKey { case dims, stride, capacity, nodeWords, nodes, built, layout }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dims, forKey: .dims)
        try c.encode(stride, forKey: .stride)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(nodeWords, forKey: .nodeWords)
        try c.encode(NodeLayout.current, forKey: .layout)
        // The same bytes `Packed` writes: one block, little-endian words.
        try c.encode(Data(bytes: block.base, count: block.words * 4), forKey: .nodes)
        try c.encode(built, forKey: .built)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dims = try c.decode(Int.self, forKey: .dims)
        capacity = try c.decode(Int.self, forKey: .capacity)
        built = try c.decode(Int.self, forKey: .built)
        let layout = try c.decodeIfPresent(Int.self, forKey: .layout) ?? 1
        let words = try c.decode(Packed<UInt32>.self, forKey: .nodes).wrappedValue
        let savedStride = try c.decode(Int.self, forKey: .stride)
        let savedWords = try c.decode(Int.self, forKey: .nodeWords)
        stride = NodeLayout.stride(dims: dims)
        nodeWords = 2 * stride
        func corrupt(_ why: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: .nodes, in: c, debugDescription: "forest nodes: \(why)")
        }
        guard dims > 0, capacity > 0, savedWords > 0, words.count % (capacity * savedWords) == 0 else {
            throw corrupt("\(words.count) words are not whole trees of \(capacity) records of \(savedWords) words")
        }
        let trees = words.count / (capacity * savedWords)
        guard built <= trees else { throw corrupt("\(built) trees built in room for \(trees)") }
        switch layout {
        case NodeLayout.current:
            guard savedStride == stride, savedWords == nodeWords else {
                throw corrupt("layout \(layout) with \(savedStride) lanes for \(dims) features")
            }
            block = NodeBlock(words: words.count)
            words.withUnsafeBytes { block.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        case 1:
            guard savedStride == (dims + 7) / 8 * 8, savedWords == 2 * savedStride + 6 else {
                throw corrupt("layout 1 with \(savedStride) lanes and \(savedWords) words for \(dims) features")
            }
            block = NodeBlock(words: trees * capacity * nodeWords)
            for n in 0..<(trees * capacity) { convertLayout1(words, record: n, savedStride: savedStride) }
        default:
            throw corrupt("record layout \(layout) is newer than this Vigil reads (\(NodeLayout.current))")
        }
    }

    /// Copies record `n` of a layout-1 snapshot into this storage's layout. Layout 1 stored the left
    /// child too; trees were always grown in preorder, so it is the next record, as here.
    private func convertLayout1(_ old: [UInt32], record n: Int, savedStride s: Int) {
        let from = n * (2 * s + 6)
        let to = n * nodeWords
        for f in 0..<dims {
            put(to + f, old[from + f])
            put(to + stride + f, old[from + s + f])
        }
        put(to + splitOffset, old[from + 2 * s])
        put(to + splitOffset + 1, old[from + 2 * s + 1])
        putField(to + featureOffset, old[from + 2 * s + 2])
        putField(to + rightOffset, old[from + 2 * s + 4])
        putField(to + sizeOffset, old[from + 2 * s + 5])
    }
}
