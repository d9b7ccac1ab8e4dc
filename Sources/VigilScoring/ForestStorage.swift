import VigilCore
/// All trees of a forest in one set of flat arrays: tree `t` owns nodes `t·capacity ..< (t+1)·capacity`.
///
/// Why flat and shared: scoring walks every tree for every event; one buffer per field means the
/// hot loop touches no reference counts and streams through contiguous memory. A rebuilt tree is
/// written over its own slot, so memory is fixed: `trees × (2ψ − 1)` nodes.
///
/// Trees are built like Liu et al.'s isolation trees — a feature chosen among those that vary in the
/// node, a cut within the node's range — with two changes to the draws (``IsolationConfig``): features
/// are weighted by their kurtosis in the tree's sample, and a share of the cuts is uniform over the
/// gaps between distinct values (rank space) rather than over the value range. Each node also keeps
/// its points' bounding box, so a query *outside* that box is handled as a random cut would handle it (as random
/// cut forests do): at each node the chance that a cut separates the query from all the node's points
/// is p = mean over features of e_f / (r_f + e_f), with r_f the node's range and e_f how far the
/// query lies beyond it. The path length is then an expectation, computed exactly along one
/// root-to-leaf walk. Values never seen in training — a first-ever flag, a rate ten times the maximum
/// — are isolated at once instead of being scored like the boundary points. Scale-invariant per
/// feature.
public struct ForestStorage: Codable, Sendable {
    let dims: Int
    /// `dims` rounded up to a multiple of 8: boxes are laid out in SIMD8 lanes; padding lanes hold
    /// zero-width boxes at 0 and the query is padded with 0, so they never count.
    let stride: Int
    let capacity: Int
    /// Words per node record.
    let nodeWords: Int
    /// Node records, one after another (all a walk needs from a node sits together in memory):
    /// `stride` minima and `stride` maxima of the node's points (Float bits; half the memory traffic
    /// of doubles), then the split value (Double, two words: routing compares full-precision
    /// values), the feature (−1 for a leaf), the left and right child indices and the point count.
    @Packed var nodes: [UInt32]
    /// Trees built so far (slots `0..<built` hold trees).
    var built = 0

    init(trees: Int, sampleSize: Int, dims: Int) {
        self.dims = dims
        stride = (dims + 7) / 8 * 8
        capacity = 2 * sampleSize - 1
        nodeWords = 2 * stride + 6
        nodes = Array(repeating: 0, count: trees * capacity * nodeWords)
    }

    // Field offsets within a node record.
    @inline(__always) var splitOffset: Int { 2 * stride }
    @inline(__always) var featureOffset: Int { 2 * stride + 2 }
    @inline(__always) var leftOffset: Int { 2 * stride + 3 }
    @inline(__always) var rightOffset: Int { 2 * stride + 4 }
    @inline(__always) var sizeOffset: Int { 2 * stride + 5 }

    /// Builds tree `slot` on `points` (row-major, `dims` columns). O(ψ · height · dims), plus a sort
    /// of the node's values for a rank cut.
    mutating func build(slot: Int, points: [Double], count: Int, maxDepth: Int, rankCuts: Double = 0,
                        kurtosisWeight: Double = 0, rng: inout SplitMix64) {
        var idx = Array(0..<count)
        var next = slot * capacity
        var scratch = GrowScratch(stride: stride)
        scratch.rankCuts = rankCuts
        scratch.weight = Self.featureWeights(points, count: count, dims: dims, strength: kurtosisWeight)
        grow(points, &idx, 0, count, depth: 0, maxDepth: maxDepth, next: &next, rng: &rng, scratch: &scratch)
        built = max(built, slot + 1)
    }

    @discardableResult
    private mutating func grow(_ p: [Double], _ idx: inout [Int], _ a: Int, _ b: Int, depth: Int, maxDepth: Int,
                               next: inout Int, rng: inout SplitMix64, scratch: inout GrowScratch) -> Int {
        let node = next
        next += 1
        let base = node * nodeWords
        // The box and the varying features are used before recursing, so one scratch serves every
        // level (no allocation per node).
        for f in 0..<stride {
            scratch.lo[f] = f < dims ? .infinity : 0
            scratch.hi[f] = f < dims ? -.infinity : 0
        }
        for k in a..<b {
            let row = idx[k] * dims
            for f in 0..<dims {
                let v = Float(p[row + f])
                if v < scratch.lo[f] { scratch.lo[f] = v }
                if v > scratch.hi[f] { scratch.hi[f] = v }
            }
        }
        for f in 0..<stride {
            nodes[base + f] = scratch.lo[f].bitPattern
            nodes[base + stride + f] = scratch.hi[f].bitPattern
        }
        setLeaf(base, size: b - a)
        if b - a <= 1 || depth >= maxDepth { return node }
        scratch.varying.removeAll(keepingCapacity: true)
        for f in 0..<dims where scratch.hi[f] > scratch.lo[f] { scratch.varying.append(f) }
        if scratch.varying.isEmpty { return node }
        let f = scratch.pickFeature(&rng)
        // Cut within the exact (Double) range of the node's points in feature f.
        var dlo = Double.infinity, dhi = -Double.infinity
        for k in a..<b {
            let v = p[idx[k] * dims + f]
            if v < dlo { dlo = v }
            if v > dhi { dhi = v }
        }
        guard dhi > dlo else { return node }
        var cut: Double
        if scratch.rankCuts > 0 && rng.unit() < scratch.rankCuts {
            cut = scratch.rankCut(p, idx, a, b, feature: f, dims: dims, rng: &rng)
        } else {
            cut = dlo + (dhi - dlo) * rng.unit()
            if cut <= dlo { cut = dhi }   // keep both sides non-empty
        }
        var m = a
        for k in a..<b where p[idx[k] * dims + f] < cut {
            idx.swapAt(k, m)
            m += 1
        }
        let bits = cut.bitPattern
        nodes[base + splitOffset] = UInt32(truncatingIfNeeded: bits)
        nodes[base + splitOffset + 1] = UInt32(truncatingIfNeeded: bits >> 32)
        nodes[base + featureOffset] = UInt32(bitPattern: Int32(f))
        let l = grow(p, &idx, a, m, depth: depth + 1, maxDepth: maxDepth, next: &next, rng: &rng, scratch: &scratch)
        let r = grow(p, &idx, m, b, depth: depth + 1, maxDepth: maxDepth, next: &next, rng: &rng, scratch: &scratch)
        nodes[base + leftOffset] = UInt32(l)
        nodes[base + rightOffset] = UInt32(r)
        return node
    }

    private mutating func setLeaf(_ base: Int, size: Int) {
        nodes[base + splitOffset] = 0
        nodes[base + splitOffset + 1] = 0
        nodes[base + featureOffset] = UInt32(bitPattern: -1)
        nodes[base + leftOffset] = 0
        nodes[base + rightOffset] = 0
        nodes[base + sizeOffset] = UInt32(size)
    }

    /// Sum over all built trees of the expected path length of `x`. With `credit`, also adds each
    /// feature's share of the isolation achieved (in bits: log2 of how many points a separation
    /// leaves behind, weighted by its chance).
    func totalPath(_ x: [Double], credit: UnsafeMutableBufferPointer<Double>?) -> Double {
        withQuery(x) { xd, xs, raw in
            guard credit == nil else {
                var total = 0.0
                for t in 0..<built { total += walk(root: t * capacity, xd, xs, credit, raw) }
                return total
            }
            return lockstepTotal(xd, xs, raw)
        }
    }

    /// The expected path length of `x` in each built tree, into `paths[0..<built]` (lockstep, as
    /// ``totalPath(_:credit:)``; adding them in tree order gives its total bit for bit).
    func treePaths(_ x: [Double], into paths: UnsafeMutableBufferPointer<Double>) {
        withQuery(x) { xd, xs, raw in _ = lockstepTotal(xd, xs, raw, paths: paths) }
    }

    /// The expected path length of `x` in tree `t` alone.
    func treePath(_ x: [Double], tree t: Int) -> Double {
        withQuery(x) { xd, xs, raw in walk(root: t * capacity, xd, xs, nil, raw) }
    }

    /// Calls `body` with the query as doubles, as floats padded to `stride` lanes (on the stack),
    /// and the node records.
    @inline(__always)
    private func withQuery<R>(_ x: [Double], _ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Float>, UnsafeRawPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: stride) { xs in
            for f in 0..<stride { xs[f] = f < dims ? Float(x[f]) : 0 }
            return x.withUnsafeBufferPointer { xd in
                nodes.withUnsafeBytes { raw in body(xd, UnsafeBufferPointer(xs), raw.baseAddress!) }
            }
        }
    }

    /// Trees walked side by side, `lockstepWidth` at a time, one level per round.
    ///
    /// Why: a walk is a chain of dependent loads (the next node is known only once this one is
    /// read), and the forest is larger than the L2 cache, so one walk at a time waits on memory at
    /// almost every node. Walks of different trees are independent: stepping several in one loop lets
    /// the processor overlap their loads. The arithmetic per tree is exactly that of ``walk`` and the
    /// per-tree results are added in tree order, so the total is bit-for-bit the same.
    @inline(__always)
    private func lockstepTotal(_ x: UnsafeBufferPointer<Double>, _ xf: UnsafeBufferPointer<Float>,
                               _ raw: UnsafeRawPointer, paths: UnsafeMutableBufferPointer<Double>? = nil) -> Double {
        let width = Self.lockstepWidth
        return withUnsafeTemporaryAllocation(of: LockstepWalk.self, capacity: width) { walks in
            var total = 0.0
            var first = 0
            while first < built {
                let count = min(width, built - first)
                for j in 0..<count { walks[j] = LockstepWalk(node: (first + j) * capacity) }
                var running = count
                while running > 0 {
                    running = 0
                    for j in 0..<count where !walks[j].done {
                        step(&walks[j], x, xf, raw)
                        if !walks[j].done { running += 1 }
                    }
                }
                for j in 0..<count {
                    total += walks[j].result
                    paths?[first + j] = walks[j].result
                }
                first += count
            }
            return total
        }
    }

    /// Trees per lockstep group: enough independent loads in flight, few enough to stay in registers
    /// and L1.
    static let lockstepWidth = 10

    /// One level of ``walk`` without attribution; sets `done` and `result` at the end of the path.
    @inline(__always)
    private func step(_ w: inout LockstepWalk, _ x: UnsafeBufferPointer<Double>, _ xf: UnsafeBufferPointer<Float>,
                      _ raw: UnsafeRawPointer) {
        let node = raw + w.node &* (nodeWords &* 4)
        let size = Double(node.loadUnaligned(fromByteOffset: sizeOffset &* 4, as: UInt32.self))
        let (pSum, live) = escape(node, UnsafeRawPointer(xf.baseAddress!))
        if pSum > 0 {
            let pOut = Double(pSum) / Double(live)
            w.expected += w.reach * pOut * (w.depth + 1)
            w.reach *= 1 - pOut
        }
        let f = Int(node.loadUnaligned(fromByteOffset: featureOffset &* 4, as: Int32.self))
        if f < 0 {
            w.result = w.expected + w.reach * (w.depth + IsolationMath.cTable(size))
            w.done = true
            return
        }
        let split = node.loadUnaligned(fromByteOffset: splitOffset &* 4, as: Double.self)
        w.node = Int(node.loadUnaligned(fromByteOffset: (x[f] < split ? leftOffset : rightOffset) &* 4, as: UInt32.self))
        w.depth += 1
        if w.reach < 1e-9 {
            w.result = w.expected + w.reach * w.depth
            w.done = true
        }
    }

    /// Chance that a random cut at `node` separates the query from every point of the node: per
    /// feature e / (r + e), summed over the features (`pSum`) with the number of features where
    /// r + e > 0 (`live`); the probability is pSum / live. Eight lanes at a time. Most queries sit
    /// inside most boxes: that is tested first, and only a query outside pays the division.
    @inline(__always)
    private func escape(_ node: UnsafeRawPointer, _ xv: UnsafeRawPointer) -> (pSum: Float, live: Float) {
        let lanes = stride / 8
        let hiStart = stride &* 4
        var outside = false
        for k in 0..<lanes {
            let v = xv.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let l = node.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let h = node.loadUnaligned(fromByteOffset: hiStart &+ k &* 32, as: SIMD8<Float>.self)
            if any((v .> h) .| (v .< l)) { outside = true; break }
        }
        guard outside else { return (0, 0) }
        let zero = SIMD8<Float>(repeating: 0)
        let one = SIMD8<Float>(repeating: 1)
        var shareV = zero
        var liveV = zero
        for k in 0..<lanes {
            let v = xv.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let l = node.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let h = node.loadUnaligned(fromByteOffset: hiStart &+ k &* 32, as: SIMD8<Float>.self)
            let above = v - h, below = l - v
            let e = above.replacing(with: zero, where: above .< zero) + below.replacing(with: zero, where: below .< zero)
            let denom = (h - l) + e
            shareV += (e / denom).replacing(with: zero, where: e .== zero)
            liveV += zero.replacing(with: one, where: denom .> zero)
        }
        return (shareV.sum(), liveV.sum())
    }

    @inline(__always)
    private func walk(root: Int, _ x: UnsafeBufferPointer<Double>, _ xf: UnsafeBufferPointer<Float>,
                      _ credit: UnsafeMutableBufferPointer<Double>?, _ raw: UnsafeRawPointer) -> Double {
        let nodeBytes = nodeWords &* 4
        let xv = UnsafeRawPointer(xf.baseAddress!)
        var n = root
        var depth = 0.0
        var reach = 1.0          // probability the walk is still going at this node
        var expected = 0.0
        while true {
            let node = raw + n &* nodeBytes
            let (pSum, live) = escape(node, xv)
            let size = Double(node.loadUnaligned(fromByteOffset: sizeOffset &* 4, as: UInt32.self))
            if pSum > 0 {
                let active = Double(live)
                let pOut = Double(pSum) / active
                expected += reach * pOut * (depth + 1)
                if let credit {
                    let bits = IsolationMath.log2p1(size)
                    let lo = node.assumingMemoryBound(to: Float.self)
                    let hi = lo + stride
                    for f in 0..<dims {
                        let v = xf[f], l = lo[f], h = hi[f]
                        let share = v > h ? (v - h) / (v - l) : (v < l ? (l - v) / (h - v) : 0)
                        if share > 0 { credit[f] += reach * Double(share) / active * bits }
                    }
                }
                reach *= 1 - pOut
            }
            let f = Int(node.loadUnaligned(fromByteOffset: featureOffset &* 4, as: Int32.self))
            if f < 0 {
                return expected + reach * (depth + IsolationMath.cTable(size))
            }
            let split = node.loadUnaligned(fromByteOffset: splitOffset &* 4, as: Double.self)
            let next = Int(node.loadUnaligned(fromByteOffset: (x[f] < split ? leftOffset : rightOffset) &* 4, as: UInt32.self))
            if let credit {
                let childSize = Double((raw + next &* nodeBytes).loadUnaligned(fromByteOffset: sizeOffset &* 4, as: UInt32.self))
                credit[f] += reach * (IsolationMath.log2p1(size) - IsolationMath.log2p1(childSize))
            }
            n = next
            depth += 1
            if reach < 1e-9 { return expected + reach * depth }
        }
    }
}

/// The state of one tree's walk in ``ForestStorage``'s lockstep scoring.
struct LockstepWalk {
    var node: Int
    var depth = 0.0
    /// Probability that the walk is still going at this node.
    var reach = 1.0
    var expected = 0.0
    var result = 0.0
    var done = false

    init(node: Int) { self.node = node }
}

/// The average path length formulas of isolation forests.
public enum IsolationMath {
    /// c(n): average path length of an unsuccessful search in a binary search tree of n points.
    @inline(__always) public static func c(_ n: Double) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        return 2 * (log(n - 1) + 0.5772156649) - 2 * (n - 1) / n
    }

    @inline(__always) static func log2p1(_ v: Double) -> Double { log2(v + 1) }

    /// c(n) for leaf sizes, from a table for n < 4096 (one `log` per tree per row adds up).
    @inline(__always) static func cTable(_ n: Double) -> Double {
        let i = Int(n)
        return i < smallC.count ? smallC[i] : c(n)
    }

    static let smallC: [Double] = (0..<4096).map { c(Double($0)) }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
