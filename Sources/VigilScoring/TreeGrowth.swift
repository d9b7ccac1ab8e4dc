#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// What growing one tree of a ``ForestStorage`` draws on: the kurtosis weights that choose features,
// and the working buffers of a build (a node's box, its varying features, the rank-cut draw).

extension ForestStorage {
    /// Per feature, 1 + strength · ln(1 + kurtosis) over the tree's sample (all 1 for strength 0 or a
    /// sample too small to say). Kurtosis is m4 / m2², 0 for a constant feature.
    ///
    /// Kurtosis ranks features by their tails, so it weighs only the features that can have one. A
    /// feature with at most two distinct values in the sample (a log event's "first network", "first
    /// client") has none: its kurtosis says only how rare the minority value is (≈ 1/p), and one cut
    /// separates it whatever its weight. Such a flag gets the mean weight of the tailed features, so
    /// the flags keep the share of cuts the classic uniform choice gives them and the weighting moves
    /// cuts only among the tailed features.
    static func featureWeights(_ p: [Double], count: Int, dims: Int, strength: Double) -> [Double] {
        var w = [Double](repeating: 1, count: dims)
        guard strength > 0, count >= 4 else { return w }
        let n = Double(count)
        var flags: [Int] = []
        var tailedSum = 0.0
        for f in 0..<dims {
            // One pass finds the mean and whether a third distinct value exists.
            let first = p[f]
            var second = first
            var tailed = false
            var mean = 0.0
            for k in 0..<count {
                let v = p[k * dims + f]
                mean += v
                if v != first && v != second {
                    if second != first { tailed = true } else { second = v }
                }
            }
            guard tailed else {
                flags.append(f)
                continue
            }
            mean /= n
            var m2 = 0.0, m4 = 0.0
            for k in 0..<count {
                let d = p[k * dims + f] - mean
                m2 += d * d
                m4 += d * d * d * d
            }
            m2 /= n
            m4 /= n
            let kurtosis = m2 > 0 && (m4 / (m2 * m2)).isFinite ? m4 / (m2 * m2) : 0
            w[f] = 1 + strength * log1p(kurtosis)
            tailedSum += w[f]
        }
        if flags.count < dims {
            for f in flags { w[f] = tailedSum / Double(dims - flags.count) }
        }
        return w
    }
}

/// Working buffers of one tree build: a node's box, the features that vary in it, the tree's feature
/// weights and room to sort a node's values for a rank cut.
struct GrowScratch {
    var lo: [Float]
    var hi: [Float]
    var varying: [Int] = []
    var weight: [Double] = []
    var rankCuts = 0.0
    var values: [Double] = []

    init(stride: Int) {
        lo = Array(repeating: 0, count: stride)
        hi = Array(repeating: 0, count: stride)
        varying.reserveCapacity(stride)
    }

    /// One of the varying features, drawn with probability proportional to its weight.
    mutating func pickFeature(_ rng: inout SplitMix64) -> Int {
        var total = 0.0
        for f in varying { total += weight[f] }
        var u = rng.unit() * total
        for f in varying {
            u -= weight[f]
            if u < 0 { return f }
        }
        return varying[varying.count - 1]
    }

    /// A cut uniform within a gap between two consecutive distinct values of `feature` among the
    /// node's points (`idx[a..<b]`), the gap drawn uniformly. Needs at least two distinct values.
    mutating func rankCut(_ p: [Double], _ idx: [Int], _ a: Int, _ b: Int, feature f: Int, dims: Int,
                          rng: inout SplitMix64) -> Double {
        values.removeAll(keepingCapacity: true)
        for k in a..<b { values.append(p[idx[k] * dims + f]) }
        if values.count <= 32 {
            // Most rank cuts are deep in the tree, over a handful of points: an insertion sort
            // (stable, as `sort()` is, so equal values keep their order) without its set-up cost.
            for i in 1..<max(1, values.count) {
                let v = values[i]
                var j = i
                while j > 0 && values[j - 1] > v {
                    values[j] = values[j - 1]
                    j -= 1
                }
                values[j] = v
            }
        } else {
            values.sort()
        }
        var distinct = 1
        for k in 1..<values.count where values[k] != values[distinct - 1] {
            values[distinct] = values[k]
            distinct += 1
        }
        let g = rng.below(distinct - 1)
        let lo = values[g], hi = values[g + 1]
        let cut = lo + (hi - lo) * rng.unit()
        return cut <= lo ? hi : cut   // keep both sides non-empty
    }
}
