/// A principal's hour-of-day histogram (decayed counts per UTC hour), sparse.
///
/// Why sparse: a person works a handful of hours and a job runs at one, so 24 doubles (and an
/// array allocation) per principal are mostly zeros. Up to four hours are inline, sorted by hour;
/// a principal active at more spills into the dense 24. A zero hour stays zero under decay, and
/// sums and maxima skip zeros without changing a bit, so the features read the same as from the
/// dense histogram.
struct HourHistogram: Sendable {
    static let inlineCapacity = 4

    /// The inline hours, 8 bits each (entry `i` in bits `8i…8i+7`), their values, and how many.
    private var packedHours: UInt32 = 0
    private var inlineCount: UInt8 = 0
    private var inlineValues: (Double, Double, Double, Double) = (0, 0, 0, 0)
    private var dense: [Double]?

    @inline(__always) private func hourOf(_ i: Int) -> Int { Int((packedHours >> UInt32(8 * i)) & 0xFF) }

    @inline(__always) private mutating func setHour(_ i: Int, _ h: Int) {
        packedHours = packedHours & ~(0xFF << UInt32(8 * i)) | UInt32(h) << UInt32(8 * i)
    }

    @inline(__always) private func valueOf(_ i: Int) -> Double {
        switch i {
        case 0: return inlineValues.0
        case 1: return inlineValues.1
        case 2: return inlineValues.2
        default: return inlineValues.3
        }
    }

    @inline(__always) private mutating func setValue(_ i: Int, _ v: Double) {
        switch i {
        case 0: inlineValues.0 = v
        case 1: inlineValues.1 = v
        case 2: inlineValues.2 = v
        default: inlineValues.3 = v
        }
    }

    init() {}

    /// The dense histogram (24 values).
    init(dense values: [Double]) {
        for (h, v) in values.enumerated() where v != 0 { add(hour: h, v) }
    }

    var isSpilled: Bool { dense != nil }

    subscript(hour: Int) -> Double {
        if let d = dense { return d[hour] }
        for i in 0..<Int(inlineCount) where hourOf(i) == hour { return valueOf(i) }
        return 0
    }

    /// Multiplies every hour by `f` (decay).
    mutating func scale(by f: Double) {
        if dense != nil {
            for h in 0..<24 { dense![h] *= f }
        } else {
            for i in 0..<Int(inlineCount) { setValue(i, valueOf(i) * f) }
        }
    }

    /// Adds `v` to `hour`.
    mutating func add(hour: Int, _ v: Double) {
        if dense != nil {
            dense![hour] += v
            return
        }
        let n = Int(inlineCount)
        var at = 0
        while at < n && hourOf(at) < hour { at += 1 }
        if at < n && hourOf(at) == hour {
            setValue(at, valueOf(at) + v)
            return
        }
        guard n < Self.inlineCapacity else {
            var d = [Double](repeating: 0, count: 24)
            for i in 0..<n { d[hourOf(i)] = valueOf(i) }
            d[hour] += v
            dense = d
            inlineCount = 0
            packedHours = 0
            inlineValues = (0, 0, 0, 0)
            return
        }
        var i = n
        while i > at {
            setHour(i, hourOf(i - 1))
            setValue(i, valueOf(i - 1))
            i -= 1
        }
        setHour(at, hour)
        setValue(at, 0 + v)
        inlineCount += 1
    }

    /// The stored hours with their values, by hour (all 24 once spilled).
    func forEach(_ body: (Int, Double) -> Void) {
        if let d = dense {
            for h in 0..<24 { body(h, d[h]) }
        } else {
            for i in 0..<Int(inlineCount) { body(hourOf(i), valueOf(i)) }
        }
    }

    /// All 24 values.
    var values: [Double] {
        if let d = dense { return d }
        var d = [Double](repeating: 0, count: 24)
        for i in 0..<Int(inlineCount) { d[hourOf(i)] = valueOf(i) }
        return d
    }

    /// What `hourRarity` reads after decaying every hour by `f` (1 for no decay): the sum, the
    /// peak, the first hour at the peak (0 when all are zero) and the value at `hour`, each
    /// computed from the decayed values exactly as from the dense histogram.
    func summary(decayedBy f: Double?, at hour: Int) -> (total: Double, peak: Double, peakHour: Int, value: Double) {
        var total = 0.0, peak = 0.0, peakHour = 0, value = 0.0
        forEach { h, raw in
            let v = f.map { raw * $0 } ?? raw
            total += v
            // Strictly greater: the first hour at the peak wins, as the dense `indices.max` finds
            // it; when every hour is 0 the dense answer is hour 0, which `peakHour` starts at.
            if v > peak {
                peak = v
                peakHour = h
            }
            if h == hour { value = v }
        }
        return (total, peak, peakHour, value)
    }

    /// Heap bytes accounted for a spilled histogram.
    var accountedBytes: Int { dense == nil ? 0 : 32 + 24 * 8 }
}

extension HourHistogram: Equatable {
    /// Same value in every hour, bit for bit.
    static func == (a: HourHistogram, b: HourHistogram) -> Bool {
        a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
    }
}
