import Foundation
import Testing
import VigilCore
import VigilPipeline
import VigilScoring
import VigilTestSupport

@Suite struct TableScorerTests {
    /// A table of Gaussian-ish inliers with a few far outliers in column x1, zstd-compressed.
    static func table(rows: Int = 6000) -> String {
        var rng = SplitMix64(seed: 21)
        var csv = "x0,x1,x2,label\n"
        for i in 0..<rows {
            let outlier = i % 200 == 199
            let v = (0..<3).map { _ in (0..<4).reduce(0.0) { s, _ in s + rng.unit() } }
            csv += "\(v[0]),\(outlier ? v[1] + 12 : v[1]),\(v[2]),\(outlier ? 1 : 0)\n"
        }
        let dir = TestSupport.tempDir()
        return write(TestSupport.zstd(Array(csv.utf8)), "table.csv.zst", in: dir)
    }

    @Test func run_scoresOutliersAboveInliers() throws {
        let report = try TableScorer.run(path: Self.table(), options: TableScorer.Options())
        #expect(report.rows == 6000 && report.dims == 3 && report.outliers == 30)
        #expect((report.auroc ?? 0) > 0.95)
        #expect(report.badRows == 0)
    }

    @Test func run_isDeterministicForSeedAndShuffle() throws {
        var o = TableScorer.Options()
        o.shuffle = 9
        let path = Self.table()
        let a = try TableScorer.run(path: path, options: o)
        let b = try TableScorer.run(path: path, options: o)
        o.shuffle = 10
        let c = try TableScorer.run(path: path, options: o)
        #expect(a.scores == b.scores)
        #expect(a.scores != c.scores)
    }

    @Test func run_whenLabelColumnMissing_failsClearly() {
        var o = TableScorer.Options()
        o.labelColumn = "is_anomaly"
        #expect(throws: ConfigError.self) { try TableScorer.run(path: Self.table(rows: 10), options: o) }
    }

    @Test func run_countsMalformedRows() throws {
        let dir = TestSupport.tempDir()
        let path = write(Array("a,b,label\n1,2,0\nx,2,0\n1,2\n3,4,1\n".utf8), "bad.csv", in: dir)
        let report = try TableScorer.run(path: path, options: TableScorer.Options())
        #expect(report.rows == 2)
        #expect(report.badRows == 2)
    }
}
