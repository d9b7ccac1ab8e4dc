import VigilCore
import VigilDetection
#if canImport(Glibc)
import Glibc
#endif

extension Engine {
    /// An info finding naming the features whose distribution moved (Kolmogorov–Smirnov).
    func driftFinding(_ drifted: [(feature: Int, statistic: Double)], at e: AccessEvent) -> Finding {
        let reasons = drifted.map { d -> Reason in
            let name = Feature(rawValue: d.feature)?.name ?? "f\(d.feature)"
            return Reason(feature: name, value: (d.statistic * 1000).rounded() / 1000, baseline: config.driftThreshold,
                          text: "\(name) has shifted: KS statistic \(JSONText.fixed(d.statistic, digits: 2)) between the reference window and the last \(drift.window) events")
        }
        return Finding(kind: .rule, rule: "feature-drift", principal: "vigil:model", source: e.source, time: e.time,
                       score: drifted.map(\.statistic).max() ?? 0, severity: .info, attack: [],
                       title: "Behaviour features drifted: " + reasons.map(\.feature).joined(separator: ", "),
                       reasons: reasons, events: [e.id], eventsTotal: 1)
    }

    /// Seconds on the monotonic clock: run times in `--stats`, never detection.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
