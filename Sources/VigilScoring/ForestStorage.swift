import VigilCore
/// All trees of a forest in one block of node records: tree `t` owns records `t·capacity ..< (t+1)·capacity`.
///
/// Why one block: scoring walks every tree for every event; records side by side mean the hot loop
/// touches no reference counts and each node costs two cache lines (``NodeLayout``). A rebuilt tree
/// is written over its own slot, so memory is fixed: `trees × (2ψ − 1)` records.
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
public struct ForestStorage: Sendable {
    let dims: Int
    /// Lanes per box: `dims + 3` rounded up to a multiple of 8. Boxes are read in SIMD8 lanes; the
    /// lanes past `dims` hold the node's other fields (see ``NodeLayout``) and the query's are NaN,
    /// so they never count as outside.
    let stride: Int
    let capacity: Int
    /// Words per node record: the two boxes and nothing else, `8 × stride` bytes, a whole number of
    /// cache lines (two for the log model's 13 features).
    let nodeWords: Int
    /// Node records, one after another in memory aligned to a cache line: `stride` minima of the
    /// node's points (Float bits; half the memory traffic of doubles), then `stride` maxima. The
    /// split value (Double: routing compares full-precision values), the right child, the feature
    /// (−1 for a leaf) and the point count sit in the padding lanes; the left child is the next
    /// record (trees are laid out in preorder).
    var block: NodeBlock
    /// Trees built so far (slots `0..<built` hold trees).
    var built = 0

    init(trees: Int, sampleSize: Int, dims: Int) {
        self.dims = dims
        stride = NodeLayout.stride(dims: dims)
        capacity = 2 * sampleSize - 1
        nodeWords = 2 * stride
        block = NodeBlock(words: trees * capacity * nodeWords)
    }

    // Field offsets within a node record, in words.
    @inline(__always) var splitOffset: Int { dims }
    @inline(__always) var rightOffset: Int { dims + 2 }
    @inline(__always) var featureOffset: Int { stride + dims }
    @inline(__always) var sizeOffset: Int { stride + dims + 1 }

    /// Builds tree `slot` on `points` (row-major, `dims` columns). O(ψ · height · dims), plus a sort
    /// of the node's values for a rank cut.
    mutating func build(slot: Int, points: [Double], count: Int, maxDepth: Int, rankCuts: Double = 0,
                        kurtosisWeight: Double = 0, rng: inout SplitMix64) {
        if !isKnownUniquelyReferenced(&block) { block = block.copy() }
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
        for f in 0..<dims {
            put(base + f, scratch.lo[f].bitPattern)
            put(base + stride + f, scratch.hi[f].bitPattern)
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
        put(base + splitOffset, UInt32(truncatingIfNeeded: bits))
        put(base + splitOffset + 1, UInt32(truncatingIfNeeded: bits >> 32))
        putField(base + featureOffset, UInt32(bitPattern: Int32(f)))
        // The left child is the next record (preorder); only the right one is stored.
        grow(p, &idx, a, m, depth: depth + 1, maxDepth: maxDepth, next: &next, rng: &rng, scratch: &scratch)
        let r = grow(p, &idx, m, b, depth: depth + 1, maxDepth: maxDepth, next: &next, rng: &rng, scratch: &scratch)
        putField(base + rightOffset, UInt32(r))
        return node
    }

    private func setLeaf(_ base: Int, size: Int) {
        put(base + splitOffset, 0)
        put(base + splitOffset + 1, 0)
        putField(base + featureOffset, UInt32(bitPattern: -1))
        putField(base + rightOffset, 0)
        putField(base + sizeOffset, UInt32(size))
    }

    /// Writes word `i` of the records (only while building or converting, with the block unique).
    @inline(__always) func put(_ i: Int, _ v: UInt32) {
        block.base.storeBytes(of: v, toByteOffset: i &* 4, as: UInt32.self)
    }

    /// Writes a feature, right child or point count as the walks read it (``ForestView/field(_:_:)``).
    @inline(__always) func putField(_ i: Int, _ v: UInt32) { put(i, v ^ NodeLayout.fieldMask) }

    /// The query as the box tests read it: `x`'s values as floats, the lanes past `dims` NaN.
    @inline(__always) func fillLanes(_ lanes: UnsafeMutablePointer<Float>, from x: UnsafePointer<Double>) {
        for f in 0..<stride { lanes[f] = f < dims ? Float(x[f]) : .nan }
    }

    /// Sum over all built trees of the expected path length of `x`. With `credit`, also adds each
    /// feature's share of the isolation achieved (in bits: log2 of how many points a separation
    /// leaves behind, weighted by its chance).
    func totalPath(_ x: [Double], credit: UnsafeMutableBufferPointer<Double>?) -> Double {
        withQuery(x) { view, q in
            guard credit == nil else {
                var total = 0.0
                for t in 0..<built { total += view.walk(root: t * capacity, q, credit) }
                return total
            }
            return view.lockstep(trees: 0..<built, q)
        }
    }

    /// The expected path length of `x` in each built tree, into `paths[0..<built]` (lockstep, as
    /// ``totalPath(_:credit:)``; adding them in tree order gives its total bit for bit).
    /// With a `pool`, its helpers walk shares of the trees beside the caller (same values).
    func treePaths(_ x: [Double], into paths: UnsafeMutableBufferPointer<Double>, pool: TreeWalkPool? = nil) {
        withQuery(x) { view, q in
            if let pool { pool.treePaths(view, q, trees: built, into: paths) } else { _ = view.lockstep(trees: 0..<built, q, paths: paths) }
        }
    }

    /// The expected path length of `x` in tree `t` alone.
    func treePath(_ x: [Double], tree t: Int) -> Double {
        withQuery(x) { view, q in view.walk(root: t * capacity, q, nil) }
    }

    /// Calls `body` with a view of the records and the queries for `count` rows of `rows`
    /// (row-major, `dims` columns), prepared as ``withQuery(_:_:)`` prepares one.
    func withQueries<R>(_ rows: UnsafePointer<Double>, count: Int, _ body: (ForestView, UnsafePointer<ForestQuery>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count * stride) { xs in
            withUnsafeTemporaryAllocation(of: ForestQuery.self, capacity: count) { qs in
                for r in 0..<count {
                    fillLanes(xs.baseAddress! + r * stride, from: rows + r * dims)
                    qs[r] = ForestQuery(doubles: rows + r * dims, floats: UnsafePointer(xs.baseAddress! + r * stride))
                }
                return withExtendedLifetime(block) { body(ForestView(self), UnsafePointer(qs.baseAddress!)) }
            }
        }
    }

    /// Calls `body` with a view of the records and the query: as doubles, and as floats padded with
    /// NaN to `stride` lanes (on the stack). The view is valid only inside `body`.
    @inline(__always)
    func withQuery<R>(_ x: [Double], _ body: (ForestView, ForestQuery) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: stride) { xs in
            return x.withUnsafeBufferPointer { xd in
                fillLanes(xs.baseAddress!, from: xd.baseAddress!)
                return withExtendedLifetime(block) {
                    body(ForestView(self), ForestQuery(doubles: xd.baseAddress!, floats: UnsafePointer(xs.baseAddress!)))
                }
            }
        }
    }
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
