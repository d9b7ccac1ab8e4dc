import Testing
@testable import VigilScoring

@Suite struct MetricsTests {
    @Test func auroc_perfectRandomAndInvertedRankings() {
        let labels = [false, false, true, true]
        #expect(Metrics.auroc(scores: [0.1, 0.2, 0.8, 0.9], labels: labels) == 1)
        #expect(Metrics.auroc(scores: [0.9, 0.8, 0.2, 0.1], labels: labels) == 0)
        #expect(Metrics.auroc(scores: [0.5, 0.5, 0.5, 0.5], labels: labels) == 0.5)
        #expect(Metrics.auroc(scores: [0.1, 0.2], labels: [false, false]) == nil)
    }

    @Test func auroc_countsTiesAsHalf() {
        // One positive tied with one negative above another negative: (1 + 0.5) / 2.
        #expect(Metrics.auroc(scores: [0.1, 0.5, 0.5], labels: [false, false, true]) == 0.75)
    }

    @Test func averagePrecision_matchesHandComputedValue() {
        // Ranked: P, N, P → precision at the two positives 1 and 2/3 → AP = (1 + 2/3) / 2.
        let ap = Metrics.averagePrecision(scores: [0.9, 0.8, 0.7], labels: [true, false, true])!
        #expect(abs(ap - (1 + 2.0 / 3) / 2) < 1e-12)
    }
}

@Suite struct DriftMonitorTests {
    @Test func ks_ofIdenticalSamplesIsZero_ofDisjointIsOne() {
        #expect(DriftMonitor.ks([1, 2, 3], [1, 2, 3]) == 0)
        #expect(DriftMonitor.ks([1, 2, 3], [10, 11, 12]) == 1)
        #expect(DriftMonitor.ks([1, 2, 3, 4], [3, 4, 5, 6]) == 0.5)
    }

    @Test func observe_whenStreamShifts_reportsTheShiftedFeatureOnce() {
        var m = DriftMonitor(dims: 2, window: 256, threshold: 0.25)
        var rng = SplitMix64(seed: 3)
        var reports: [[(feature: Int, statistic: Double)]] = []
        for i in 0..<4096 {
            let shift = i >= 2048 ? 3.0 : 0.0
            let r = m.observe([rng.unit(), rng.unit() + shift])
            if !r.isEmpty { reports.append(r) }
        }
        #expect(reports.count == 1)
        #expect(reports.first?.map(\.feature) == [1])
        #expect((reports.first?.first?.statistic ?? 0) > 0.9)
        #expect(m.largest[0] < 0.25)
    }

    @Test func observe_whenStationary_staysQuiet() {
        var m = DriftMonitor(dims: 3, window: 512, threshold: 0.25)
        var rng = SplitMix64(seed: 4)
        for _ in 0..<10_000 { #expect(m.observe([rng.unit(), rng.unit(), rng.unit()]).isEmpty) }
        #expect(m.checks > 10)
    }
}
