import VigilCore
/// Watches the feature stream for drift: per feature, the two-sample Kolmogorov–Smirnov statistic
/// between a reference window and the live window.
///
/// Why: a model that learned last month's traffic can quietly stop fitting (a migration, a new
/// region, a new CI system). The reference is the first `window` points; every `window` points the
/// live window (the latest `window` points) is compared with it. A feature whose statistic reaches
/// `threshold` has drifted: it is reported, and the live window becomes the new reference, so one
/// shift is reported once. The KS statistic D is the largest gap between the two empirical CDFs,
/// in [0, 1]; the default threshold 0.25 is well above the 0.001-level critical value for two
/// windows of 1,024 points (1.95 · √(2/1024) ≈ 0.086), so only shifts large enough to matter are
/// raised, not sampling noise. Memory: two `window × dims` buffers. Cost: O(dims · window log window)
/// every `window` points, i.e. O(dims · log window) amortised per point.
public struct DriftMonitor: Codable, Sendable {
    public let dims: Int
    public let window: Int
    public let threshold: Double
    @Packed var reference: [Double] = []
    @Packed var live: [Double]
    var head = 0
    var count = 0
    var sinceCheck = 0
    /// The latest statistic per feature (0 until the first comparison).
    public private(set) var latest: [Double]
    /// The largest statistic seen per feature.
    public private(set) var largest: [Double]
    public private(set) var checks = 0

    public init(dims: Int, window: Int = 1024, threshold: Double = 0.25) {
        self.dims = dims
        self.window = max(16, window)
        self.threshold = threshold
        live = Array(repeating: 0, count: self.window * dims)
        latest = Array(repeating: 0, count: dims)
        largest = Array(repeating: 0, count: dims)
    }

    /// Adds a point; returns the features (index, statistic) that drifted at this point, if a check
    /// ran and found any.
    public mutating func observe(_ x: [Double]) -> [(feature: Int, statistic: Double)] {
        for f in 0..<dims { live[head * dims + f] = x[f] }
        head = (head + 1) % window
        count += 1
        if reference.isEmpty {
            if count == window { reference = live; sinceCheck = 0 }
            return []
        }
        sinceCheck += 1
        guard sinceCheck >= window else { return [] }
        sinceCheck = 0
        checks += 1
        var drifted: [(Int, Double)] = []
        for f in 0..<dims {
            let d = Self.ks(column(reference, f), column(live, f))
            latest[f] = d
            largest[f] = max(largest[f], d)
            if d >= threshold { drifted.append((f, d)) }
        }
        if !drifted.isEmpty { reference = live }
        return drifted.map { (feature: $0.0, statistic: $0.1) }
    }

    private func column(_ buf: [Double], _ f: Int) -> [Double] {
        (0..<window).map { buf[$0 * dims + f] }
    }

    /// Two-sample Kolmogorov–Smirnov statistic: sup |F_a(t) − F_b(t)|. O((n + m) log(n + m)).
    public static func ks(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let t = min(x[i], y[j])
            while i < x.count && x[i] <= t { i += 1 }
            while j < y.count && y[j] <= t { j += 1 }
            d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        return d
    }
}
