/// The streaming isolation forest. See the target overview.
///
/// Memory is fixed by the parameters: `window × dims` doubles plus `trees` trees of at most
/// 2^(height+1) nodes. `learn` is O(1) amortised (one tree rebuilt every `period` points, O(ψ · height));
/// `score` is O(trees · height).
public struct IsolationForest: Codable, Sendable {
    public let config: IsolationConfig
    public let dimensions: Int
    var ring: [Double]
    var filled = 0
    var head = 0
    var learned = 0
    var sinceRebuild = 0
    var nextTree = 0
    var trees: [IsolationTree] = []
    var rng: SplitMix64
    /// Window bounds, recomputed once per full rotation of the trees (O(window · dims)).
    var boxLo: [Double] = []
    var boxHi: [Double] = []

    public init(dimensions: Int, config: IsolationConfig) {
        self.config = config
        self.dimensions = dimensions
        ring = Array(repeating: 0, count: config.window * dimensions)
        rng = SplitMix64(seed: config.seed)
    }

    /// True once the first trees exist (after `sampleSize` learned points).
    public var isReady: Bool { !trees.isEmpty }
    public var pointsLearned: Int { learned }

    /// Anomaly score in [0, 1]: 2^(−E[h] / c(ψ)). 0 until the forest is ready.
    public func score(_ x: [Double]) -> Double {
        guard isReady else { return 0 }
        return x.withUnsafeBufferPointer { xp in
            var total = 0.0
            for t in trees { total += t.path(xp, credit: nil) }
            return normalise(total / Double(trees.count))
        }
    }

    /// Score plus attribution: the share of isolation each feature's cuts achieved, summing to 1
    /// (all zeros before the forest is ready).
    public func explain(_ x: [Double]) -> (score: Double, attribution: [Double]) {
        guard isReady else { return (0, Array(repeating: 0, count: dimensions)) }
        var credit = Array(repeating: 0.0, count: dimensions)
        let s: Double = x.withUnsafeBufferPointer { xp in
            credit.withUnsafeMutableBufferPointer { cp in
                var total = 0.0
                for t in trees { total += t.path(xp, credit: cp) }
                return normalise(total / Double(trees.count))
            }
        }
        let sum = credit.reduce(0, +)
        if sum > 0 { for i in credit.indices { credit[i] /= sum } }
        return (s, credit)
    }

    /// Adds a point to the window; builds or rotates trees on schedule.
    public mutating func learn(_ x: [Double]) {
        precondition(x.count == dimensions, "feature vector has \(x.count) values, forest expects \(dimensions)")
        let base = head * dimensions
        for i in 0..<dimensions { ring[base + i] = x[i].isFinite ? x[i] : 0 }
        head = (head + 1) % config.window
        filled = min(filled + 1, config.window)
        learned += 1
        if trees.isEmpty {
            if filled >= config.sampleSize {
                refreshBounds()
                let box = Array(zip(boxLo, boxHi))
                for _ in 0..<config.trees { trees.append(buildTree(box: box)) }
            }
            return
        }
        sinceRebuild += 1
        if sinceRebuild >= config.period {
            sinceRebuild = 0
            if nextTree == 0 || boxLo.isEmpty { refreshBounds() }
            trees[nextTree] = buildTree(box: Array(zip(boxLo, boxHi)))
            nextTree = (nextTree + 1) % trees.count
        }
    }

    private func normalise(_ meanPath: Double) -> Double {
        exp2(-meanPath / IsolationMath.c(Double(config.sampleSize)))
    }

    private mutating func buildTree(box: [(Double, Double)]) -> IsolationTree {
        let n = min(config.sampleSize, filled)
        var sample = [Double](repeating: 0, count: n * dimensions)
        for k in 0..<n {
            let row = rng.below(filled)
            for i in 0..<dimensions { sample[k * dimensions + i] = ring[row * dimensions + i] }
        }
        let height = Int((log2(Double(config.sampleSize))).rounded(.up)) + config.extraDepth
        return IsolationTree.build(points: sample, count: n, dims: dimensions, box: box, maxDepth: height, rng: &rng)
    }

    /// The window's per-feature range, widened by half its width (at least 0.5) on each side, so
    /// cuts on features constant in the window can still separate new values.
    private mutating func refreshBounds() {
        var lo = Array(repeating: Double.infinity, count: dimensions)
        var hi = Array(repeating: -Double.infinity, count: dimensions)
        for r in 0..<filled {
            for i in 0..<dimensions {
                let v = ring[r * dimensions + i]
                if v < lo[i] { lo[i] = v }
                if v > hi[i] { hi[i] = v }
            }
        }
        for i in 0..<dimensions {
            let margin = max(0.5, (hi[i] - lo[i]) * 0.5)
            lo[i] -= margin
            hi[i] += margin
        }
        boxLo = lo
        boxHi = hi
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
