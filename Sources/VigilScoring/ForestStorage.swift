/// All trees of a forest in one set of flat arrays: tree `t` owns nodes `t·capacity ..< (t+1)·capacity`.
///
/// Why flat and shared: scoring walks every tree for every event; one buffer per field means the
/// hot loop touches no reference counts and streams through contiguous memory. A rebuilt tree is
/// written over its own slot, so memory is fixed: `trees × (2ψ − 1)` nodes.
///
/// Trees are built like Liu et al.'s isolation trees — a feature chosen uniformly among those that
/// vary in the node, a cut uniform within the node's range — but each node also keeps its points'
/// bounding box, so a query *outside* that box is handled as a random cut would handle it (as random
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
    var feature: [Int16]
    var split: [Double]
    var left: [Int32]
    var right: [Int32]
    var size: [Int32]
    /// Per node, `dims` minima then `dims` maxima of its points (Float: half the memory traffic of
    /// the hot loop; routing still compares full-precision values against `split`).
    var box: [Float]
    /// Trees built so far (slots `0..<built` hold trees).
    var built = 0

    init(trees: Int, sampleSize: Int, dims: Int) {
        self.dims = dims
        stride = (dims + 7) / 8 * 8
        capacity = 2 * sampleSize - 1
        let n = trees * capacity
        feature = Array(repeating: -1, count: n)
        split = Array(repeating: 0, count: n)
        left = Array(repeating: -1, count: n)
        right = Array(repeating: -1, count: n)
        size = Array(repeating: 0, count: n)
        box = Array(repeating: 0, count: n * 2 * stride)
    }

    /// Builds tree `slot` on `points` (row-major, `dims` columns). O(ψ · height · dims).
    mutating func build(slot: Int, points: [Double], count: Int, maxDepth: Int, rng: inout SplitMix64) {
        var idx = Array(0..<count)
        var next = slot * capacity
        grow(points, &idx, 0, count, depth: 0, maxDepth: maxDepth, next: &next, rng: &rng)
        built = max(built, slot + 1)
    }

    @discardableResult
    private mutating func grow(_ p: [Double], _ idx: inout [Int], _ a: Int, _ b: Int, depth: Int, maxDepth: Int,
                               next: inout Int, rng: inout SplitMix64) -> Int32 {
        let node = next
        next += 1
        feature[node] = -1; split[node] = 0; left[node] = -1; right[node] = -1; size[node] = Int32(b - a)
        let bs = node * 2 * stride
        for f in 0..<dims { box[bs + f] = .infinity; box[bs + stride + f] = -.infinity }
        for f in dims..<stride { box[bs + f] = 0; box[bs + stride + f] = 0 }
        for k in a..<b {
            let row = idx[k] * dims
            for f in 0..<dims {
                let v = Float(p[row + f])
                if v < box[bs + f] { box[bs + f] = v }
                if v > box[bs + stride + f] { box[bs + stride + f] = v }
            }
        }
        if b - a <= 1 || depth >= maxDepth { return Int32(node) }
        var varying: [Int] = []
        for f in 0..<dims where box[bs + stride + f] > box[bs + f] { varying.append(f) }
        if varying.isEmpty { return Int32(node) }
        let f = varying[rng.below(varying.count)]
        // Cut within the exact (Double) range of the node's points in feature f.
        var lo = Double.infinity, hi = -Double.infinity
        for k in a..<b {
            let v = p[idx[k] * dims + f]
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        guard hi > lo else { return Int32(node) }
        var cut = lo + (hi - lo) * rng.unit()
        if cut <= lo { cut = hi }   // keep both sides non-empty
        var m = a
        for k in a..<b where p[idx[k] * dims + f] < cut {
            idx.swapAt(k, m)
            m += 1
        }
        feature[node] = Int16(f)
        split[node] = cut
        let l = grow(p, &idx, a, m, depth: depth + 1, maxDepth: maxDepth, next: &next, rng: &rng)
        let r = grow(p, &idx, m, b, depth: depth + 1, maxDepth: maxDepth, next: &next, rng: &rng)
        left[node] = l
        right[node] = r
        return Int32(node)
    }

    /// Sum over all built trees of the expected path length of `x`. With `credit`, also adds each
    /// feature's share of the isolation achieved (in bits: log2 of how many points a separation
    /// leaves behind, weighted by its chance).
    func totalPath(_ x: [Double], credit: UnsafeMutableBufferPointer<Double>?) -> Double {
        var xf = [Float](repeating: 0, count: stride)
        for f in 0..<dims { xf[f] = Float(x[f]) }
        return x.withUnsafeBufferPointer { xd in
            xf.withUnsafeBufferPointer { xs in
                box.withUnsafeBufferPointer { bx in
                    feature.withUnsafeBufferPointer { ft in
                        split.withUnsafeBufferPointer { sp in
                            left.withUnsafeBufferPointer { lf in
                                right.withUnsafeBufferPointer { rt in
                                    size.withUnsafeBufferPointer { sz in
                                        var total = 0.0
                                        for t in 0..<built {
                                            total += walk(root: t * capacity, xd, xs, credit, bx, ft, sp, lf, rt, sz)
                                        }
                                        return total
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private func walk(root: Int, _ x: UnsafeBufferPointer<Double>, _ xf: UnsafeBufferPointer<Float>,
                      _ credit: UnsafeMutableBufferPointer<Double>?, _ bx: UnsafeBufferPointer<Float>,
                      _ ft: UnsafeBufferPointer<Int16>, _ sp: UnsafeBufferPointer<Double>,
                      _ lf: UnsafeBufferPointer<Int32>, _ rt: UnsafeBufferPointer<Int32>,
                      _ sz: UnsafeBufferPointer<Int32>) -> Double {
        let dims = self.dims
        let lanes = stride / 8
        var n = root
        var depth = 0.0
        var reach = 1.0          // probability the walk is still going at this node
        var expected = 0.0
        let xv = UnsafeRawPointer(xf.baseAddress!)
        while true {
            let lo = bx.baseAddress! + n &* 2 &* stride
            let hi = lo + stride
            // Chance that a random cut here separates x from every point of the node: per feature
            // e / (r + e), averaged over the features with r + e > 0. Eight lanes at a time.
            var pSum: Float = 0
            var active = 0
            for k in 0..<lanes {
                let v = xv.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
                let l = UnsafeRawPointer(lo).loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
                let h = UnsafeRawPointer(hi).loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
                let zero = SIMD8<Float>(repeating: 0)
                let above = v - h, below = l - v
                let e = above.replacing(with: zero, where: above .< zero) + below.replacing(with: zero, where: below .< zero)
                let denom = (h - l) + e
                let live = denom .> zero
                let share = (e / denom).replacing(with: 0, where: e .== zero)
                pSum += share.sum()
                for i in 0..<8 where live[i] { active &+= 1 }
            }
            if pSum > 0 {
                let pOut = Double(pSum) / Double(active)
                expected += reach * pOut * (depth + 1)
                if let credit {
                    let bits = IsolationMath.log2p1(Double(sz[n]))
                    for f in 0..<dims {
                        let v = xf[f], l = lo[f], h = hi[f]
                        let share = v > h ? (v - h) / (v - l) : (v < l ? (l - v) / (h - v) : 0)
                        if share > 0 { credit[f] += reach * Double(share) / Double(active) * bits }
                    }
                }
                reach *= 1 - pOut
            }
            let f = Int(ft[n])
            if f < 0 {
                return expected + reach * (depth + IsolationMath.c(Double(sz[n])))
            }
            let next = Int(x[f] < sp[n] ? lf[n] : rt[n])
            if let credit {
                credit[f] += reach * (IsolationMath.log2p1(Double(sz[n])) - IsolationMath.log2p1(Double(sz[next])))
            }
            n = next
            depth += 1
            if reach < 1e-9 { return expected + reach * depth }
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
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
