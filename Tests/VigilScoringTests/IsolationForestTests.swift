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

    @Test func score_beforeTheWarmupPoints_isZero() {
        var f = IsolationForest(dimensions: 2, config: IsolationConfig())
        for p in normalPoints(7, dims: 2, seed: 1) { f.learn(p) }
        #expect(!f.canScore)
        #expect(f.score([100, 100]) == 0)
    }

    /// The first rows of a stream are scored by provisional trees (built at 8, 16, … 128 points)
    /// instead of all scoring 0, which ranked every early outlier below every later inlier.
    @Test func score_whileWarmingUp_ranksAnOutlierAboveInliers() {
        var f = IsolationForest(dimensions: 3, config: IsolationConfig(seed: 2))
        for p in normalPoints(40, dims: 3, seed: 3) { f.learn(p) }
        #expect(!f.isReady)
        #expect(f.canScore)
        let inlier = f.score([0.1, 0, -0.1])
        let outlier = f.score([0.1, 7, -0.1])
        #expect(outlier > 0.6)
        #expect(outlier > inlier + 0.15)
        let (s, attribution) = f.explain([0.1, 7, -0.1])
        #expect(s == outlier)
        #expect(attribution.firstIndex(of: attribution.max()!) == 1)
    }

    /// Provisional trees draw from a random source of their own: once the real trees exist, every
    /// score is what it would be without the warm-up.
    @Test func warmup_leavesScoresAfterTheRealTreesUnchanged() {
        var warm = IsolationConfig(seed: 6)
        warm.warmup = 8
        var cold = warm
        cold.warmup = 0
        var a = IsolationForest(dimensions: 4, config: warm)
        var b = IsolationForest(dimensions: 4, config: cold)
        var early = 0
        for (i, p) in normalPoints(1200, dims: 4, seed: 7).enumerated() {
            let (sa, sb) = (a.score(p), b.score(p))
            if i >= 256 { #expect(sa == sb) } else if sa != sb { early += 1 }
            a.learn(p)
            b.learn(p)
        }
        #expect(early > 200)
    }

    /// Trees sample the window without replacement: the first real trees, built when the window
    /// holds exactly ψ points, each see all of them (with replacement a tree misses a given point
    /// with chance (1 − 1/ψ)^ψ ≈ 37 %, and with it often the extremes of the box).
    @Test func firstTrees_seeEveryPointOfAFullSample() {
        var config = IsolationConfig(seed: 5)
        config.warmup = 0
        var f = IsolationForest(dimensions: 2, config: config)
        let pts = normalPoints(256, dims: 2, seed: 4)
        for p in pts { f.learn(p) }
        #expect(f.isReady)
        let lo = Float(pts.map { $0[0] }.min()!), hi = Float(pts.map { $0[0] }.max()!)
        let s = f.storage
        for t in 0..<config.trees {
            let base = t * s.capacity * s.nodeWords
            #expect(Float(bitPattern: s.word(base)) == lo)
            #expect(Float(bitPattern: s.word(base + s.stride)) == hi)
            #expect(s.word(base + s.sizeOffset) ^ NodeLayout.fieldMask == 256)
        }
    }

    /// A feature whose values are mostly alike with a few far away (heavy tails) weighs more than a
    /// flat one, so trees cut it more often; two-valued flags keep the classic share of cuts;
    /// strength 0 is the classic uniform choice.
    @Test func featureWeights_favourHeavyTailedFeatures() {
        var rows: [Double] = []
        var r = SplitMix64(seed: 3)
        for i in 0..<256 { rows += [r.unit(), i % 50 == 0 ? 20 : r.unit(), 5, i % 50 == 0 ? 1 : 0] }
        let w = ForestStorage.featureWeights(rows, count: 256, dims: 4, strength: 1)
        #expect(w[1] > w[0] + 1.5)
        #expect(w[0] > 1 && w[0] < 2)          // uniform: kurtosis 1.8
        // A constant and a rare flag (kurtosis ≈ 1/p, but no tail) take the tailed features' mean.
        #expect(w[2] == (w[0] + w[1]) / 2)
        #expect(w[3] == w[2])
        #expect(ForestStorage.featureWeights(rows, count: 256, dims: 4, strength: 0) == [1, 1, 1, 1])
    }

    /// A rank cut falls inside a gap between two consecutive distinct values, so both sides keep
    /// points, however the values repeat.
    @Test func rankCut_fallsBetweenDistinctValues() {
        let p: [Double] = [3, 3, 3, 3, 1, 1, 100, 3]
        var scratch = GrowScratch(stride: 8)
        var rng = SplitMix64(seed: 1)
        var gaps = Set<Int>()
        for _ in 0..<200 {
            let cut = scratch.rankCut(p, Array(0..<8), 0, 8, feature: 0, dims: 1, rng: &rng)
            #expect((cut > 1 && cut <= 3) || (cut > 3 && cut <= 100))
            gaps.insert(cut <= 3 ? 0 : 1)
        }
        #expect(gaps == [0, 1])
    }

    @Test func config_withoutTheNewKeys_takesTheDefaults_andRejectsOutOfRangeOnes() throws {
        let old = try JSONDecoder().decode(IsolationConfig.self, from: Data(#"{"trees": 50, "sampleSize": 256, "window": 2048}"#.utf8))
        #expect(old == IsolationConfig())
        #expect(throws: ConfigError.self) {
            try JSONDecoder().decode(IsolationConfig.self, from: Data(#"{"rankCuts": 1.5}"#.utf8))
        }
        #expect(throws: ConfigError.self) {
            try JSONDecoder().decode(IsolationConfig.self, from: Data(#"{"warmup": 256}"#.utf8))
        }
    }

    @Test func snapshot_whileWarmingUp_roundTripsAndScoresIdentically() throws {
        var f = IsolationForest(dimensions: 3, config: IsolationConfig(seed: 4))
        for p in normalPoints(100, dims: 3, seed: 8) { f.learn(p) }
        var g = try JSONDecoder().decode(IsolationForest.self, from: JSONEncoder().encode(f))
        for p in normalPoints(50, dims: 3, seed: 99) { #expect(f.score(p) == g.score(p)) }
        for p in normalPoints(300, dims: 3, seed: 5) { f.learn(p); g.learn(p) }
        for p in normalPoints(50, dims: 3, seed: 98) { #expect(f.score(p) == g.score(p)) }
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

/// Snapshots written before node records were compacted (152-byte records, left child stored)
/// must keep scoring exactly as they did.
@Suite struct ForestLayoutTests {
    /// A 4-tree forest on 5 features as the layout-1 code wrote it, with the bit patterns of the
    /// scores and attributions that code gave for 20 points.
    static func fixture() throws -> (json: Data, scores: [UInt64], attributions: [[UInt64]]) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/forest-152-byte-nodes.txt")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        return (Data(lines[0].utf8),
                lines[1].split(separator: ",").map { UInt64($0)! },
                lines[2].split(separator: ",").map { $0.split(separator: " ").map { UInt64($0)! } })
    }

    @Test func layout1Snapshot_scoresAndExplainsBitForBitAsItsCodeDid() throws {
        let (json, scores, attributions) = try Self.fixture()
        let f = try JSONDecoder().decode(IsolationForest.self, from: json)
        let points = normalPoints(20, dims: 5, seed: 11)
        #expect(points.map { f.score($0).bitPattern } == scores)
        #expect(points.map { f.explain($0).attribution.map(\.bitPattern) } == attributions)
    }

    @Test func layout1Snapshot_keepsLearningAsAFreshForestWould() throws {
        let (json, _, _) = try Self.fixture()
        var old = try JSONDecoder().decode(IsolationForest.self, from: json)
        var again = try JSONDecoder().decode(IsolationForest.self, from: JSONEncoder().encode(old))
        for p in normalPoints(300, dims: 5, seed: 21) { old.learn(p); again.learn(p) }
        for p in normalPoints(30, dims: 5, seed: 22) { #expect(old.score(p) == again.score(p)) }
    }

    @Test func records_areWholeCacheLines_withRoomForTheirFields() {
        for dims in [1, 3, 5, 8, 13, 16, 36] {
            let s = ForestStorage(trees: 2, sampleSize: 8, dims: dims)
            #expect(s.stride >= dims + 3)
            #expect(s.nodeWords * 4 % 64 == 0)
            #expect(Int(bitPattern: s.block.base) % 64 == 0)
        }
        #expect(ForestStorage(trees: 1, sampleSize: 8, dims: 13).nodeWords * 4 == 128)
    }

    @Test func copies_shareNodesUntilOneBuilds() {
        var f = IsolationForest(dimensions: 3, config: IsolationConfig(seed: 2))
        for p in normalPoints(400, dims: 3, seed: 1) { f.learn(p) }
        let frozen = f
        let probe = normalPoints(10, dims: 3, seed: 5)
        let before = probe.map { frozen.score($0) }
        for p in normalPoints(400, dims: 3, seed: 9) { f.learn(p) }
        #expect(probe.map { frozen.score($0) } == before)
        #expect(probe.map { f.score($0) } != before)
    }
}
