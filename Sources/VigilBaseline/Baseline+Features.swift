import VigilCore

extension Baseline {
    /// Fills feature values, raw quantities, baselines and context for one event. O(1).
    mutating func fill(_ fv: inout FeatureVector, _ st: PrincipalState, _ e: AccessEvent, _ l: Lesson) {
        let s = l.samples
        let u = st.hasUsual ? st.usual : s
        let uLong = st.hasUsual ? st.usualLong : l.longRate
        let mem = config.noveltyMemory
        func ratio(_ x: Double, _ base: Double) -> Double { log2((x + 1) / (base + 1)) }
        func set(_ f: Feature, _ v: Double, raw: Double, base: Double) {
            fv.values[f.rawValue] = v.isFinite ? v : 0
            fv.raw[f.rawValue] = raw
            fv.baseline[f.rawValue] = base
        }
        let mb = 1_048_576.0
        set(.burst, ratio(s[0], u[0]), raw: s[0], base: u[0])
        set(.longRate, ratio(l.longRate, uLong), raw: l.longRate, base: uLong)
        set(.distinctActions, ratio(s[1], u[1]), raw: s[1], base: u[1])
        set(.distinctResources, ratio(s[2], u[2]), raw: s[2], base: u[2])
        set(.bytesOut, ratio(s[3] / mb, u[3] / mb), raw: s[3], base: u[3])
        set(.errorRatio, max(0, s[4] - u[4]), raw: s[4], base: u[4])

        let lastAction = st.actions.last(l.action, now: l.time, memory: mem)
        set(.newAction, lastAction == nil ? 1 : 0, raw: lastAction == nil ? 1 : 0, base: Double(st.actions.count))
        let knownNet = st.networks.last(l.network, now: l.time, memory: mem) != nil
        set(.newNetwork, knownNet ? 0 : 1, raw: knownNet ? 0 : 1, base: Double(st.networks.count))
        let knownAgent = st.agents.last(l.agent, now: l.time, memory: mem) != nil
        set(.newUserAgent, knownAgent ? 0 : 1, raw: knownAgent ? 0 : 1, base: Double(st.agents.count))
        let knownRegion = st.regions.last(l.region, now: l.time, memory: mem) != nil
        set(.newRegion, knownRegion ? 0 : 1, raw: knownRegion ? 0 : 1, base: Double(st.regions.count))

        let f: Double? = l.time > st.hoursAt ? Self.decay(l.time - st.hoursAt, halfLife: config.hourHalfLife) : nil
        let h = st.hours.summary(decayedBy: f, at: l.hour)
        let rarity = h.total < 5 || h.peak <= 0 ? 0 : 1 - min(1, h.value / h.peak)
        set(.hourRarity, rarity, raw: Double(l.hour), base: Double(h.peakHour))

        let previous: Int64? = st.events > 0 ? st.lastSeen : nil
        let gapDays = previous.map { Double(max(0, l.time - $0)) / Double(EventTime.day) } ?? 0
        set(.dormancy, min(10, log2(1 + gapDays)), raw: gapDays, base: 0)
        let sens = sensitivityOf(e, key: l.action)
        set(.sensitivity, sens, raw: sens, base: 0)

        fv.context.priorEvents = st.events
        fv.context.learnedEvents = st.learned
        fv.context.firstSeen = st.firstSeen
        fv.context.previousEvent = previous
        fv.context.actionLastSeen = lastAction
        fv.context.actionCountInWindow = st.window.count(of: l.action)
        fv.context.windowEvents = st.window.count
        fv.context.windowLength = config.windowLength
        fv.context.sourceAddress = e.sourceIP
    }

    /// The originating actor's own history vouches for a role session (identity stitching): a
    /// network, client or region the person behind the session already uses is not new merely
    /// because the role, shared by many people, has not seen it from them. Novelty to both is kept.
    func vouch(_ fv: inout FeatureVector, by actor: PrincipalState, _ l: Lesson) {
        let mem = config.noveltyMemory
        for (f, set, key) in [(Feature.newNetwork, actor.networks, l.network), (.newUserAgent, actor.agents, l.agent),
                              (.newRegion, actor.regions, l.region)]
        where fv.values[f.rawValue] == 1 && set.last(key, now: l.time, memory: mem) != nil {
            fv.values[f.rawValue] = 0
            fv.raw[f.rawValue] = 0
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
