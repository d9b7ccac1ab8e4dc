import VigilCore

/// What Vigil keeps of a principal evicted from the live table: enough that its return is not a
/// stranger's first call (when it was first and last seen, how much it has been learned, its usual
/// rates, its hours and its most recent known actions, networks, agents and regions), in a few
/// hundred bytes instead of the live state's window, counters and full known-sets.
///
/// Why: at the principal cap the least recently seen principal must go, and without a compact
/// memory a busy day would make every returning weekly job look new. Restoring it gives back a
/// principal whose short window is empty (it was idle) and whose known-sets hold the members it
/// used last; anything older it uses again counts as new.
struct DormantPrincipal: Sendable, Equatable {
    var firstSeen: Int64
    var lastSeen: Int64
    var events: Int
    var learned: Int
    /// Usual values and hours at single precision (what a compact form keeps), held as the
    /// doubles they restore to, so restoring is a copy and the record stays free of allocations.
    var usual: WindowSamples
    var hasUsual: Bool
    var usualLong: Double
    var hours: HourHistogram
    var hoursAt: Int64
    var blockedUntil: Int64
    /// Up to ``keptPerSet`` most recent members of each known-set, actions, networks, agents and
    /// regions in that order; `counts` says how many belong to each (8 bits per set).
    var known: [UInt64]
    var packedCounts: UInt32
    /// Which eviction made this entry (ties it to its place in the dormant queue).
    var generation: UInt64

    static let keptPerSet = 8

    /// Members kept of each known-set.
    var counts: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: packedCounts >> UInt32(8 * $0)) } }

    /// Accounted like ``PrincipalState/accountedBytes``: the record, its name and index entry, its
    /// place in the eviction queue, the kept members and a spilled histogram.
    var accountedBytes: Int { MemoryLayout<DormantPrincipal>.stride + (known.isEmpty ? 0 : 32 + known.count * 8) + hours.accountedBytes + 112 }

    @inline(__always) static func single(_ v: Double) -> Double { Double(Float(v)) }

    init(_ st: PrincipalState, generation: UInt64) {
        firstSeen = st.firstSeen
        lastSeen = st.lastSeen
        events = st.events
        learned = st.learned
        hasUsual = st.hasUsual
        usual = hasUsual ? WindowSamples(Self.single(st.usual[0]), Self.single(st.usual[1]), Self.single(st.usual[2]),
                                         Self.single(st.usual[3]), Self.single(st.usual[4])) : WindowSamples(0, 0, 0, 0, 0)
        usualLong = Self.single(st.usualLong)
        var h = HourHistogram()
        st.hours.forEach { hour, v in if v != 0 { h.add(hour: hour, Self.single(v)) } }
        hours = h
        hoursAt = st.hoursAt
        blockedUntil = st.blockedUntil
        known = []
        known.reserveCapacity(min(4 * Self.keptPerSet, st.actions.count + st.networks.count + st.agents.count + st.regions.count))
        packedCounts = 0
        st.actions.appendMostRecent(Self.keptPerSet, to: &known)
        packedCounts |= UInt32(known.count)
        var before = known.count
        st.networks.appendMostRecent(Self.keptPerSet, to: &known)
        packedCounts |= UInt32(known.count - before) << 8
        before = known.count
        st.agents.appendMostRecent(Self.keptPerSet, to: &known)
        packedCounts |= UInt32(known.count - before) << 16
        before = known.count
        st.regions.appendMostRecent(Self.keptPerSet, to: &known)
        packedCounts |= UInt32(known.count - before) << 24
        self.generation = generation
    }

    /// The live state this principal goes on from; known members are remembered as of `lastSeen`.
    func restored(knownSetCap cap: Int) -> PrincipalState {
        var st = PrincipalState(at: firstSeen)
        st.lastSeen = lastSeen
        st.longAt = lastSeen
        st.events = events
        st.learned = learned
        st.usual = usual
        st.hasUsual = hasUsual
        st.usualLong = usualLong
        st.hours = hours
        st.hoursAt = hoursAt
        st.blockedUntil = blockedUntil
        var at = 0
        for (i, n) in counts.enumerated() {
            for key in known[at..<(at + Int(n))].reversed() {
                switch i {
                case 0: st.actions.insert(key, at: lastSeen, cap: cap)
                case 1: st.networks.insert(key, at: lastSeen, cap: cap)
                case 2: st.agents.insert(key, at: lastSeen, cap: cap)
                default: st.regions.insert(key, at: lastSeen, cap: cap)
                }
            }
            at += Int(n)
        }
        return st
    }
}
