/// The simulator's only randomness: SplitMix64 from the seed, so a seed always yields the same logs.
struct SimRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x5DEE_CE66_D1CE_4E5B }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func unit() -> Double { Double(next() >> 11) / 9_007_199_254_740_992.0 }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }

    /// Weighted choice over (item, weight) pairs.
    mutating func weighted<T>(_ xs: [(T, Double)]) -> T {
        let total = xs.reduce(0) { $0 + $1.1 }
        var r = unit() * total
        for (x, w) in xs {
            r -= w
            if r <= 0 { return x }
        }
        return xs[xs.count - 1].0
    }

    /// Exponential inter-arrival with the given mean.
    mutating func exponential(mean: Double) -> Double {
        -mean * log(max(1e-12, 1 - unit()))
    }

    mutating func hex(_ n: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<n).map { _ in digits[Int(next() % 16)] })
    }

    mutating func upperAlnum(_ n: Int) -> String {
        let digits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return String((0..<n).map { _ in digits[Int(next() % UInt64(digits.count))] })
    }

    mutating func uuid() -> String {
        "\(hex(8))-\(hex(4))-4\(hex(3))-\(pick(["8", "9", "a", "b"]))\(hex(3))-\(hex(12))"
    }

    mutating func publicIP(firstOctets: [Int]) -> String {
        "\(pick(firstOctets)).\(int(0...255)).\(int(0...255)).\(int(1...254))"
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
