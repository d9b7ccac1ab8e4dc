import Foundation
import Testing
import VigilCore
@testable import VigilScoring

/// Gaussian-ish points from a seeded generator (sum of uniforms).
func normalPoints(_ n: Int, dims: Int, seed: UInt64) -> [[Double]] {
    var r = SplitMix64(seed: seed)
    return (0..<n).map { _ in (0..<dims).map { _ in (0..<6).reduce(0.0) { s, _ in s + r.unit() } - 3 } }
}

@Suite struct IsolationForestTests {
    @Test func score_whenOutlierInOneDimension_scoresAboveInliersAndNamesThatDimension() {
        var f = IsolationForest(dimensions: 5, config: IsolationConfig(seed: 3))
        for p in normalPoints(3000, dims: 5, seed: 1) { f.learn(p) }
        let inlier = [0.1, -0.2, 0.0, 0.3, -0.1]
        let outlier = [0.1, -0.2, 9.0, 0.3, -0.1]
        #expect(f.score(outlier) > 0.65)
        #expect(f.score(inlier) < 0.5)
        let (_, attribution) = f.explain(outlier)
        #expect(attribution.firstIndex(of: attribution.max()!) == 2)
        #expect(abs(attribution.reduce(0, +) - 1) < 1e-9)
    }

    @Test func score_whenValueNeverSeenInConstantFeature_isStillIsolated() {
        var f = IsolationForest(dimensions: 3, config: IsolationConfig(seed: 9))
        for p in normalPoints(2000, dims: 2, seed: 2) { f.learn(p + [0]) }
        #expect(f.score([0, 0, 1]) > f.score([0, 0, 0]) + 0.1)
        let (_, a) = f.explain([0, 0, 1])
        #expect(a[2] > 0.5)
    }

    /// Scoring walks trees side by side (lockstep) while explaining walks them one at a time; the
    /// two must agree to the last bit, inliers and outliers, in 13 dimensions as the engine uses.
    @Test func score_isBitIdenticalToTheScoreOfExplain() {
        var f = IsolationForest(dimensions: 13, config: IsolationConfig(seed: 4))
        for p in normalPoints(3000, dims: 13, seed: 8) { f.learn(p) }
        var probes = normalPoints(300, dims: 13, seed: 9)
        probes += normalPoints(100, dims: 13, seed: 10).map { $0.map { $0 * 6 } }
        probes.append(Array(repeating: 40, count: 13))
        for p in probes {
            #expect(f.score(p).bitPattern == f.explain(p).score.bitPattern)
        }
    }

    /// The memo reuses per-tree path lengths only while their tree is unchanged: across thousands
    /// of learned points (every tree rebuilt many times), repeated and fresh vectors score exactly
    /// as the forest scores them.
    @Test func scoreMemo_givesTheForestsScoreBitForBitWhileTreesRotate() {
        var f = IsolationForest(dimensions: 13, config: IsolationConfig(seed: 6))
        var memo = ScoreMemo()
        let repeated = normalPoints(5, dims: 13, seed: 21)
        var compared = 0
        for (i, p) in normalPoints(6000, dims: 13, seed: 20).enumerated() {
            for q in [p, repeated[i % 5]] {
                #expect(memo.score(f, q).bitPattern == f.score(q).bitPattern)
                compared += 1
            }
            f.learn(p)
        }
        #expect(compared == 12000)
        #expect(memo.hits > 5000)
        #expect(memo.treesReused > 100_000)
    }

    @Test func learn_isDeterministicForASeed() {
        let pts = normalPoints(2500, dims: 4, seed: 5)
        var a = IsolationForest(dimensions: 4, config: IsolationConfig(seed: 11))
        var b = IsolationForest(dimensions: 4, config: IsolationConfig(seed: 11))
        var c = IsolationForest(dimensions: 4, config: IsolationConfig(seed: 12))
        var sa: [Double] = [], sb: [Double] = [], sc: [Double] = []
        for p in pts {
            sa.append(a.score(p)); sb.append(b.score(p)); sc.append(c.score(p))
            a.learn(p); b.learn(p); c.learn(p)
        }
        #expect(sa == sb)
        #expect(sa != sc)
    }

    @Test func score_beforeFirstSample_isZero() {
        var f = IsolationForest(dimensions: 2, config: IsolationConfig())
        for p in normalPoints(100, dims: 2, seed: 1) { f.learn(p) }
        #expect(!f.isReady)
        #expect(f.score([100, 100]) == 0)
    }

    @Test func snapshot_roundTripsAndScoresIdentically() throws {
        var f = IsolationForest(dimensions: 3, config: IsolationConfig(seed: 4))
        for p in normalPoints(1500, dims: 3, seed: 8) { f.learn(p) }
        let g = try JSONDecoder().decode(IsolationForest.self, from: JSONEncoder().encode(f))
        for p in normalPoints(50, dims: 3, seed: 99) { #expect(f.score(p) == g.score(p)) }
    }

    @Test func config_rejectsWindowSmallerThanSample() {
        #expect(throws: ConfigError.self) {
            try JSONDecoder().decode(IsolationConfig.self, from: Data(#"{"sampleSize": 512, "window": 256}"#.utf8))
        }
    }

    @Test func c_matchesPublishedValues() {
        #expect(IsolationMath.c(2) == 1)
        #expect(abs(IsolationMath.c(256) - 10.2448) < 0.001)
    }
}
