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
struct DormantPrincipal: Codable, Sendable, Equatable {
    var firstSeen: Int64
    var lastSeen: Int64
    var events: Int
    var learned: Int
    var usual: [Float]
    var usualLong: Float
    var hours: [Float]
    var hoursAt: Int64
    var blockedUntil: Int64
    /// Up to ``keptPerSet`` most recent members of each known-set, actions, networks, agents and
    /// regions in that order; `counts` says how many belong to each.
    var known: [UInt64]
    var counts: [UInt8]
    /// Which eviction made this entry (ties it to its place in the dormant queue).
    var generation: UInt64

    static let keptPerSet = 8

    /// Accounted like ``PrincipalState/accountedBytes``: the entry, its name, its arrays.
    var accountedBytes: Int { MemoryLayout<DormantPrincipal>.stride + known.count * 8 + (usual.count + hours.count) * 4 + 224 }

    init(_ st: PrincipalState, generation: UInt64) {
        firstSeen = st.firstSeen
        lastSeen = st.lastSeen
        events = st.events
        learned = st.learned
        usual = st.usual.map(Float.init)
        usualLong = Float(st.usualLong)
        hours = st.hours.map(Float.init)
        hoursAt = st.hoursAt
        blockedUntil = st.blockedUntil
        known = []
        counts = []
        for set in [st.actions, st.networks, st.agents, st.regions] {
            let recent = set.lastSeen.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(Self.keptPerSet).map(\.key)
            known += recent
            counts.append(UInt8(recent.count))
        }
        self.generation = generation
    }

    /// The live state this principal goes on from; known members are remembered as of `lastSeen`.
    func restored(knownSetCap cap: Int) -> PrincipalState {
        var st = PrincipalState(at: firstSeen)
        st.lastSeen = lastSeen
        st.longAt = lastSeen
        st.events = events
        st.learned = learned
        st.usual = usual.map(Double.init)
        st.usualLong = Double(usualLong)
        st.hours = hours.map(Double.init)
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
