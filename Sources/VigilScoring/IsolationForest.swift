import VigilCore
/// The streaming isolation forest. See the target overview and ``ForestStorage``.
///
/// Memory is fixed by the parameters: `window × dims` doubles plus `trees × (2ψ − 1)` nodes, each
/// with a bounding box of `2 × dims` floats. `learn` is O(1) amortised (one tree rebuilt every
/// `period` points, O(ψ · height · dims)); `score` is O(trees · height · dims).
public struct IsolationForest: Codable, Sendable {
    public let config: IsolationConfig
    public let dimensions: Int
    @Packed var ring: [Double]
    var filled = 0
    var head = 0
    var learned = 0
    var sinceRebuild = 0
    var nextTree = 0
    var storage: ForestStorage
    var rng: SplitMix64
    /// Per tree, which build it holds (bumped at every rebuild; not saved: a restored forest starts
    /// over, and so does any ``ScoreMemo`` that reads these).
    var treeBuilds: [UInt64] = []
    /// While the forest is warming up (see ``IsolationConfig/warmup``): the number of points its
    /// provisional trees were built on; nil once the real trees exist (or before any tree).
    var provisional: Int?
    /// Scratch for drawing a tree's rows (reset to 0, 1, 2… before each draw, so the draw depends on
    /// the random source alone; not saved).
    var rowOrder: [Int] = []

    enum CodingKeys: String, CodingKey {
        case config, dimensions, ring, filled, head, learned, sinceRebuild, nextTree, storage, rng, provisional
    }

    public init(dimensions: Int, config: IsolationConfig) {
        self.config = config
        self.dimensions = dimensions
        ring = Array(repeating: 0, count: config.window * dimensions)
        storage = ForestStorage(trees: config.trees, sampleSize: config.sampleSize, dims: dimensions)
        rng = SplitMix64(seed: config.seed)
    }

    /// True once the real trees exist (after `sampleSize` learned points).
    public var isReady: Bool { storage.built == config.trees && provisional == nil }
    /// True once there are trees to score with: the real ones, or provisional ones while warming up.
    public var canScore: Bool { storage.built == config.trees }
    public var pointsLearned: Int { learned }

    /// Anomaly score in [0, 1]: 2^(−E[h] / c(n)), n the points each tree was built on. 0 before
    /// the first (provisional) trees.
    public func score(_ x: [Double]) -> Double {
        guard canScore else { return 0 }
        return normalise(storage.totalPath(x, credit: nil) / Double(config.trees))
    }

    /// Score plus attribution: the share of isolation each feature achieved, summing to 1
    /// (all zeros before the first trees).
    public func explain(_ x: [Double]) -> (score: Double, attribution: [Double]) {
        guard canScore else { return (0, Array(repeating: 0, count: dimensions)) }
        var credit = Array(repeating: 0.0, count: dimensions)
        let total = credit.withUnsafeMutableBufferPointer { storage.totalPath(x, credit: $0) }
        let sum = credit.reduce(0, +)
        if sum > 0 { for i in credit.indices { credit[i] /= sum } }
        return (normalise(total / Double(config.trees)), credit)
    }

    /// Adds a point to the window; builds or rotates trees on schedule.
    public mutating func learn(_ x: [Double]) {
        precondition(x.count == dimensions, "feature vector has \(x.count) values, forest expects \(dimensions)")
        let base = head * dimensions
        for i in 0..<dimensions { ring[base + i] = x[i].isFinite ? x[i] : 0 }
        head = (head + 1) % config.window
        filled = min(filled + 1, config.window)
        learned += 1
        if !isReady {
            if filled >= config.sampleSize {
                provisional = nil
                for t in 0..<config.trees { buildTree(slot: t) }
            } else if config.warmup > 0, filled >= config.warmup, filled % config.warmup == 0,
                      (filled / config.warmup) & (filled / config.warmup - 1) == 0 {
                warmUp()
            }
            return
        }
        sinceRebuild += 1
        if sinceRebuild >= config.period {
            sinceRebuild = 0
            buildTree(slot: nextTree)
            nextTree = (nextTree + 1) % config.trees
        }
    }

    /// Which build tree `t` holds (0 until it is rebuilt after a restore).
    @inline(__always) func build(of t: Int) -> UInt64 { t < treeBuilds.count ? treeBuilds[t] : 0 }

    func normalise(_ meanPath: Double) -> Double {
        exp2(-meanPath / IsolationMath.c(Double(provisional ?? config.sampleSize)))
    }

    /// Builds every tree on all `filled` points so far, from a random source of its own (seeded by
    /// the forest's seed and `filled`): the real trees built at `sampleSize` points, and so every
    /// score after them, are the same with or without the warm-up.
    private mutating func warmUp() {
        let saved = rng
        rng = SplitMix64(seed: config.seed ^ 0x5741_524D_5550_0000 ^ UInt64(filled))
        provisional = filled
        for t in 0..<config.trees { buildTree(slot: t) }
        rng = saved
    }

    /// Rebuilds tree `slot` on `min(sampleSize, filled)` distinct rows of the window, drawn without
    /// replacement (a partial Fisher–Yates shuffle of row indices): with replacement, the first trees,
    /// built when the window holds exactly `sampleSize` points, would see only ~63 % of them.
    private mutating func buildTree(slot: Int) {
        let n = min(config.sampleSize, filled)
        if rowOrder.count != filled { rowOrder = Array(0..<filled) } else { for r in 0..<filled { rowOrder[r] = r } }
        var sample = [Double](repeating: 0, count: n * dimensions)
        for k in 0..<n {
            rowOrder.swapAt(k, k + rng.below(filled - k))
            let row = rowOrder[k]
            for i in 0..<dimensions { sample[k * dimensions + i] = ring[row * dimensions + i] }
        }
        let height = Int((log2(Double(n))).rounded(.up)) + config.extraDepth
        storage.build(slot: slot, points: sample, count: n, maxDepth: height, rankCuts: config.rankCuts,
                      kurtosisWeight: config.kurtosisWeight, rng: &rng)
        if treeBuilds.count < config.trees { treeBuilds = Array(repeating: 0, count: config.trees) }
        treeBuilds[slot] &+= 1
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
