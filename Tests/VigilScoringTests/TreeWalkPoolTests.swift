import Foundation
import Synchronization
import Testing
@testable import VigilScoring

/// Walking a forest on several threads must change nothing but the time: every score the same,
/// bit for bit, as one thread walking alone.
@Suite struct TreeWalkPoolTests {
    /// Helper counts beyond this machine's cores too: the split must not depend on the machine.
    static let helperCounts = [1, 3, 7]

    @Test func memoScores_withAnyNumberOfHelpers_equalTheForestsOwnWhileTreesRotate() {
        var f = IsolationForest(dimensions: 6, config: IsolationConfig(seed: 3))
        for p in normalPoints(300, dims: 6, seed: 1) { f.learn(p) }
        let pools = Self.helperCounts.map { TreeWalkPool(helpers: $0) }
        var memos = pools.map { _ in ScoreMemo() }
        for (i, p) in normalPoints(400, dims: 6, seed: 2).enumerated() {
            // Every fourth point repeats an earlier one, so remembered vectors are re-walked in
            // part (only the rebuilt trees) as well as whole.
            let x = i % 4 == 3 ? normalPoints(400, dims: 6, seed: 2)[i - 3] : p
            let alone = f.score(x)
            for k in pools.indices { #expect(memos[k].score(f, x, pool: pools[k]).bitPattern == alone.bitPattern) }
            f.learn(x)
        }
    }

    @Test func scoreThenLearn_equalsScoringAndLearningRowByRow_fromAnEmptyForest() {
        var config = IsolationConfig(seed: 9)
        config.window = 512
        let dims = 5
        // 1,000 rows: the warm-up, the first real trees at row 256, and a rebuild every ~10 rows,
        // across blocks of 64 rows and a short last block.
        let points = normalPoints(1000, dims: dims, seed: 4) + [[40, 0, 0, 0, 0]] + normalPoints(30, dims: dims, seed: 5)
        var rowByRow = IsolationForest(dimensions: dims, config: config)
        var expected: [UInt64] = []
        for p in points {
            expected.append(rowByRow.score(p).bitPattern)
            rowByRow.learn(p)
        }
        let rows = points.flatMap { $0 }
        for pool in [nil] + Self.helperCounts.map({ TreeWalkPool(helpers: $0) }) {
            var f = IsolationForest(dimensions: dims, config: config)
            var scores: [Double] = []
            f.scoreThenLearn(rows, count: points.count, pool: pool, into: &scores)
            #expect(scores.map(\.bitPattern) == expected, "helpers: \(pool?.helpers ?? 0)")
            #expect(f.score(points[7]) == rowByRow.score(points[7]))
        }
    }

    @Test func forEachShare_runsEveryShareOnce_andWakesSleepingHelpers() throws {
        let pool = TreeWalkPool(helpers: 3)
        #expect(pool.walkers == 4)
        for round in 0..<3 {
            let runs = Counts()
            for _ in 0..<200 { pool.forEachShare { k in runs.add(k) } }
            #expect(runs.counts.withLock { $0 } == [200, 200, 200, 200], "round \(round)")
            // Long enough for the helpers to give up polling and sleep.
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    @Test func shares_coverEveryTreeOnceInOrder() {
        for trees in [2, 7, 50, 51] {
            for shares in 1...8 where shares <= trees {
                let ranges = (0..<shares).map { TreeWalkPool.share($0, of: shares, trees: trees) }
                #expect(ranges.flatMap { Array($0) } == Array(0..<trees))
                #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
            }
        }
    }
}

/// Runs per share, counted from any thread.
final class Counts: Sendable {
    let counts = Mutex([0, 0, 0, 0])
    func add(_ k: Int) { counts.withLock { $0[k] += 1 } }
}
