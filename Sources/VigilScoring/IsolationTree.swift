/// One isolation tree in flat arrays (cache-friendly, cheap to copy and encode).
///
/// A node with `feature < 0` is a leaf holding `size` training points. Internal nodes send
/// `x[feature] < split` left. Cuts are uniform within the node's data range; where that range is
/// empty (a feature constant in the node) the cut falls in the node's box inherited from the whole
/// window, so a value never seen in training is still isolated quickly.
public struct IsolationTree: Codable, Sendable {
    var feature: [Int16] = []
    var split: [Double] = []
    var left: [Int32] = []
    var right: [Int32] = []
    var size: [Int32] = []

    /// Builds a tree on `points` (row-major, `dims` columns) within `box` (per-feature lo, hi).
    /// O(ψ · height).
    static func build(points: [Double], count: Int, dims: Int, box: [(Double, Double)], maxDepth: Int,
                      rng: inout SplitMix64) -> IsolationTree {
        var t = IsolationTree()
        var idx = Array(0..<count)
        var lo = box.map(\.0)
        var hi = box.map(\.1)
        t.grow(points, dims, &idx, 0, count, depth: 0, maxDepth: maxDepth, lo: &lo, hi: &hi, rng: &rng)
        return t
    }

    @discardableResult
    private mutating func grow(_ p: [Double], _ dims: Int, _ idx: inout [Int], _ a: Int, _ b: Int, depth: Int,
                               maxDepth: Int, lo: inout [Double], hi: inout [Double], rng: inout SplitMix64) -> Int32 {
        let node = Int32(feature.count)
        feature.append(-1); split.append(0); left.append(-1); right.append(-1); size.append(Int32(b - a))
        if b - a <= 1 || depth >= maxDepth { return node }
        let f = rng.below(dims)
        var mn = Double.infinity, mx = -Double.infinity
        for k in a..<b {
            let v = p[idx[k] * dims + f]
            if v < mn { mn = v }
            if v > mx { mx = v }
        }
        let cut: Double
        if mx > mn {
            cut = mn + (mx - mn) * rng.unit()
            if cut <= mn { return grow2(p, dims, &idx, a, b, node, f, mx, depth, maxDepth, &lo, &hi, &rng) }
        } else {
            cut = lo[f] + (hi[f] - lo[f]) * rng.unit()
        }
        return grow2(p, dims, &idx, a, b, node, f, cut, depth, maxDepth, &lo, &hi, &rng)
    }

    private mutating func grow2(_ p: [Double], _ dims: Int, _ idx: inout [Int], _ a: Int, _ b: Int, _ node: Int32,
                                _ f: Int, _ cut: Double, _ depth: Int, _ maxDepth: Int,
                                _ lo: inout [Double], _ hi: inout [Double], _ rng: inout SplitMix64) -> Int32 {
        // Partition idx[a..<b] so points with x[f] < cut come first.
        var m = a
        for k in a..<b where p[idx[k] * dims + f] < cut {
            idx.swapAt(k, m)
            m += 1
        }
        feature[Int(node)] = Int16(f)
        split[Int(node)] = cut
        let (oldLo, oldHi) = (lo[f], hi[f])
        hi[f] = min(oldHi, cut)
        let l = grow(p, dims, &idx, a, m, depth: depth + 1, maxDepth: maxDepth, lo: &lo, hi: &hi, rng: &rng)
        hi[f] = oldHi
        lo[f] = max(oldLo, cut)
        let r = grow(p, dims, &idx, m, b, depth: depth + 1, maxDepth: maxDepth, lo: &lo, hi: &hi, rng: &rng)
        lo[f] = oldLo
        left[Int(node)] = l
        right[Int(node)] = r
        return node
    }

    /// Path length of `x` (depth plus the expected remaining depth at its leaf), and per-feature
    /// credit: at each cut on the path, log2(n_parent + 1) − log2(n_child + 1) goes to its feature.
    @inline(__always)
    func path(_ x: UnsafeBufferPointer<Double>, credit: UnsafeMutableBufferPointer<Double>?) -> Double {
        var n = 0
        var depth = 0.0
        while feature[n] >= 0 {
            let f = Int(feature[n])
            let next = Int(x[f] < split[n] ? left[n] : right[n])
            if let credit {
                credit[f] += IsolationMath.log2p1(Double(size[n])) - IsolationMath.log2p1(Double(size[next]))
            }
            n = next
            depth += 1
        }
        return depth + IsolationMath.c(Double(size[n]))
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
