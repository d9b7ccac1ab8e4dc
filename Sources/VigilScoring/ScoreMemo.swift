/// Remembers, for recently scored feature vectors, each tree's path length and which build of the
/// tree gave it, so scoring the same vector again walks only the trees rebuilt since.
///
/// Why: many events have exactly the same features — above all the first event of each new
/// principal (every ratio 0, every novelty flag 1), which is what a flood of new identities is made
/// of — and a tree lives for `trees × period` learned events (2,000 with the defaults), so most of a
/// repeat's trees are unchanged. The answer is bit for bit what ``IsolationForest/score(_:)`` gives:
/// the same per-tree values added in tree order. Direct-mapped by a hash of the vector's bits; a
/// pure cache (never saved, nothing depends on its contents but speed).
public struct ScoreMemo: Sendable {
    static let entries = 1024
    private var dims = 0
    private var trees = 0
    /// Per entry: whether it holds a vector, the vector's bits, and per tree (build, path length).
    private var used: [Bool] = []
    private var keys: [UInt64] = []
    private var builds: [UInt64] = []
    private var paths: [Double] = []
    public private(set) var hits = 0
    public private(set) var treesReused = 0

    public init() {}

    /// The score of `x` in `forest`, as `forest.score(x)`; with a `pool`, a vector not remembered
    /// is walked by its threads together (same score).
    public mutating func score(_ forest: IsolationForest, _ x: [Double], pool: TreeWalkPool? = nil) -> Double {
        guard forest.canScore else { return 0 }
        if dims != forest.dimensions || trees != forest.config.trees { reset(forest) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in x { h = (h ^ v.bitPattern) &* 0x0000_0100_0000_01b3; h ^= h >> 29 }
        let e = Int(h % UInt64(Self.entries))
        let kb = e * dims, tb = e * trees
        var same = used[e]
        if same { for i in 0..<dims where keys[kb + i] != x[i].bitPattern { same = false; break } }
        if same {
            hits += 1
            for t in 0..<trees {
                if builds[tb + t] == forest.build(of: t) { treesReused += 1; continue }
                paths[tb + t] = forest.storage.treePath(x, tree: t)
                builds[tb + t] = forest.build(of: t)
            }
        } else {
            used[e] = true
            for i in 0..<dims { keys[kb + i] = x[i].bitPattern }
            paths.withUnsafeMutableBufferPointer { p in
                forest.storage.treePaths(x, into: UnsafeMutableBufferPointer(rebasing: p[tb..<(tb + trees)]), pool: pool)
            }
            for t in 0..<trees { builds[tb + t] = forest.build(of: t) }
        }
        var total = 0.0
        for t in 0..<trees { total += paths[tb + t] }
        return forest.normalise(total / Double(trees))
    }

    private mutating func reset(_ f: IsolationForest) {
        dims = f.dimensions
        trees = f.config.trees
        used = Array(repeating: false, count: Self.entries)
        keys = Array(repeating: 0, count: Self.entries * dims)
        builds = Array(repeating: 0, count: Self.entries * trees)
        paths = Array(repeating: 0, count: Self.entries * trees)
    }
}
