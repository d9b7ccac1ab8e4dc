import VigilCore

/// Turns feature values into sentences a security engineer reads at 3 a.m.
///
/// A feature is only named when it points the anomalous way (more calls, a new network, a rare
/// hour…), so a reason never says "fewer events than usual" as if that were the threat.
public enum Explainer {
    /// Is this feature's value unusual in the direction that matters?
    public static func isNotable(_ f: Feature, _ fv: FeatureVector) -> Bool { weight(f, fv) > 0 }

    /// How much this feature's value counts as evidence of compromise: 0 (none or the benign
    /// direction), 0.5 (weak: a first-time action, a rare hour, a sensitive action), 1 (a new network
    /// or client, a clear burst), 2 (strong: a burst, exfiltration volume or dormancy far beyond the
    /// principal's past). An anomaly needs signals adding up to ``DetectorConfig/minSignal``, so one
    /// weak oddity — working late, a new home IP — is never an alert on its own.
    public static func weight(_ f: Feature, _ fv: FeatureVector) -> Double {
        let v = fv[f], raw = fv.raw[f.rawValue]
        let mature = fv.context.learnedEvents > 0
        switch f {
        case .burst, .longRate, .distinctActions, .distinctResources:
            guard v >= 1.0 && raw >= 5 else { return 0 }
            return v >= 2.5 && raw >= 20 ? 2 : 1
        case .bytesOut:
            guard v >= 1.0 && raw >= 10 * 1_048_576 else { return 0 }
            return v >= 3 && raw >= 500 * 1_048_576 ? 2 : 1
        case .errorRatio: return v >= 0.5 ? 1 : (v >= 0.25 ? 0.5 : 0)
        case .newNetwork, .newUserAgent: return v >= 1 && mature ? 1 : 0
        case .newAction, .newRegion: return v >= 1 && mature ? 0.5 : 0
        case .hourRarity: return v >= 0.95 && fv.context.learnedEvents >= 100 ? 0.5 : 0
        case .dormancy: return raw >= 30 ? 2 : (raw >= 14 ? 1 : 0)
        case .sensitivity: return v >= 0.7 ? 0.5 : 0
        }
    }

    /// One reason for one feature of the event.
    public static func reason(_ f: Feature, _ fv: FeatureVector, _ e: AccessEvent) -> Reason {
        let raw = fv.raw[f.rawValue], base = fv.baseline[f.rawValue]
        let win = EventTime.describe(fv.context.windowLength)
        let text: String
        switch f {
        case .burst: text = "\(Int(raw)) events in \(win), usually about \(Int(base.rounded()))"
        case .longRate: text = "about \(Int(raw.rounded())) events in the last hour, usually about \(Int(base.rounded()))"
        case .distinctActions: text = "\(Int(raw)) different actions in \(win), usually about \(Int(base.rounded()))"
        case .distinctResources: text = "\(Int(raw)) different resources touched in \(win), usually about \(Int(base.rounded()))"
        case .bytesOut: text = "\(megabytes(raw)) sent out in \(win), usually about \(megabytes(base))"
        case .errorRatio: text = "\(Int((raw * 100).rounded()))% of calls failed or were denied in \(win), usually \(Int((base * 100).rounded()))%"
        case .newAction: text = "first \(e.operation) by this principal"
        case .newNetwork: text = "first request from network \(fv.context.network)"
        case .newUserAgent: text = "first use of client \(AttributeKeys.userAgentFamily(e.userAgent))"
        case .newRegion: text = "first activity in region \(e.region ?? "-")"
        case .hourRarity: text = "active at \(two(Int(raw))):00 UTC, an hour this principal is rarely active (busiest around \(two(Int(base))):00)"
        case .dormancy: text = "first activity in \(Int(raw)) days"
        case .sensitivity: text = "\(e.action) is a sensitive action"
        }
        return Reason(feature: f.name, value: rounded(raw), baseline: rounded(base), text: text)
    }

    static func two(_ h: Int) -> String { h < 10 ? "0\(h)" : "\(h)" }

    static func rounded(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

    static func megabytes(_ b: Double) -> String {
        if b >= 1_073_741_824 { return JSONText.fixed(b / 1_073_741_824, digits: 1) + " GB" }
        return JSONText.fixed(b / 1_048_576, digits: 1) + " MB"
    }
}

