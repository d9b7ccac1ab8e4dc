import DequeModule
import VigilCore

/// The per-principal baseline runtime. Synchronous and pure: event time only, no I/O.
///
/// Cost per event: O(1) amortised (window expiry is paid once per entry; known-set eviction is
/// O(cap) only when a full set meets a new value).
public struct Baseline {
    public let config: BaselineConfig
    /// Live slots by `fnv1a(principal)`, checked against `names` (``KeyIndex``).
    var index = KeyIndex()
    var states = Slab<PrincipalState>()
    var names: [String] = []
    var free: [Int] = []
    /// Per slot: its pool, its links in that pool's recency list, and its accounted bytes.
    var pools: [UInt8] = []
    var links: [RecencyList.Link] = []
    var costs: [Int] = []
    /// Least to most recently seen, per pool (``PrincipalPool``).
    var recency = [RecencyList(), RecencyList()]
    /// Principals evicted from the live table, in their compact form, and the order they were
    /// evicted in (entries whose generation no longer matches were restored since).
    var dormant = DormantTable()
    var generation: UInt64 = 0
    /// Bytes of per-principal state, by ``PrincipalState/accountedBytes`` and
    /// ``DormantPrincipal/accountedBytes``: deterministic, so `memoryLimit` never depends on the machine.
    public internal(set) var accountedBytes = 0
    public internal(set) var counters = BaselineCounters()
    /// Memo of each action's sensitivity by its key (cap 50,000 actions; beyond it, computed each
    /// time): the action's String is kept to check the key against.
    private var sensitivityIndex = KeyIndex()
    private var sensitivityActions: [String] = []
    private var sensitivities: [Double] = []
    /// What changed since the last checkpoint was staged (``Baseline+Checkpoint``).
    var changes = BaselineChanges()
    public init(config: BaselineConfig) {
        self.config = config
    }

    /// Principals currently tracked live.
    public var principalCount: Int { index.count }
    /// Principals kept in compact form.
    public var dormantCount: Int { dormant.count }

    /// The cap of each pool: anonymous principals get `anonymousShare` of `maxPrincipals`.
    func cap(_ pool: PrincipalPool) -> Int {
        let anonymous = max(1, Int(Double(config.maxPrincipals) * config.anonymousShare))
        return pool == .anonymous ? anonymous : max(1, config.maxPrincipals - anonymous)
    }

    /// Computes the features of `e` relative to its principal's past, and what it would teach.
    /// Updates only the stream state (window, last seen); learning waits for ``commit(_:held:)``.
    public mutating func observe(_ e: AccessEvent) -> (FeatureVector, Lesson) {
        let k = e.identity
        let slot = slotFor(e.principal, key: k.principal, at: e.time)
        releaseHeld(slot: slot, now: e.time)
        // Take the state out of the array while working on it: a copy left behind would make every
        // mutation of its dictionaries and deque copy them (copy-on-write).
        var st = PrincipalState.vacant
        swap(&st, &states[slot])
        defer { swap(&st, &states[slot]) }
        let t = e.time
        counters.windowOverflow += st.expire(before: t - config.windowLength, cap: config.windowCap - 1)

        let entry = WindowEntry(time: t, action: k.action, resource: k.resource,
                                bytes: max(0, e.bytesOut ?? 0), failed: e.outcome != .success)
        st.push(entry, id: CompactEventID(e.id))
        decayLong(&st, to: t)
        st.longCount += 1

        var fv = FeatureVector()
        var lesson = Lesson(principal: e.principal, principalKey: k.principal, time: t, action: k.action,
                            network: k.network, agent: k.agent, region: k.region, hour: EventTime.hourOfDay(t),
                            samples: windowSamples(st), longRate: st.longCount)
        fill(&fv, st, e, lesson)
        if let origin = e.actor?.arn, origin != e.principal {
            lesson.actor = origin
            if let a = self.slot(of: origin) { vouch(&fv, by: states[a], lesson) }
        }
        st.events += 1
        st.lastSeen = max(st.lastSeen, t)
        account(slot, st)
        return (fv, lesson)
    }

    /// Learns from a lesson now, or holds it for `holdPeriod` when the event looked anomalous.
    public mutating func commit(_ lesson: Lesson, held: Bool) {
        guard let slot = slot(of: lesson.principal, key: lesson.principalKey) else { return }
        if held && config.holdPeriod > 0 {
            if states[slot].held.count >= config.maxHeld {
                states[slot].held.removeFirst()
                counters.heldDiscarded += 1
            }
            states[slot].held.append(HeldLesson(releaseAt: lesson.time + config.holdPeriod, lesson: lesson))
            counters.held += 1
            account(slot, states[slot])
        } else {
            learn(lesson, slot: slot)
        }
        enforceMemoryLimit(keeping: slot)
    }

    /// Records that `principal` had a high or critical finding at `t`: lessons held around it are
    /// discarded rather than learned.
    public mutating func markIncident(principal: String, at t: Int64) {
        guard let slot = slot(of: principal) else { return }
        states[slot].blockedUntil = max(states[slot].blockedUntil, t + config.holdPeriod)
        changes.mark(slot)
    }

    /// Event IDs of the principal's events in its short window, oldest first.
    /// The usual events per hour the baseline has learnt for `principal` (the `rate_long`
    /// baseline explanations quote), or nil while it has learnt none. O(1); for `vigil report`.
    public func usualHourlyRate(_ principal: String) -> Double? {
        guard let slot = slot(of: principal), states[slot].hasUsual else { return nil }
        return states[slot].usualLong
    }

    public func windowEventIDs(_ principal: String) -> [String] {
        guard let slot = slot(of: principal) else { return [] }
        return states[slot].ids.strings
    }

    /// Baselines per originating actor: what a person does through a role's sessions (its networks,
    /// clients, regions) is theirs too, so their next call as themselves from that network is not new.
    /// Only what is learned (not held back as anomalous) is taught.
    mutating func teachActor(slot s: Int, _ l: Lesson) {
        states[s].know(l, cap: config.knownSetCap)
        account(s, states[s])
    }

    mutating func releaseHeld(slot: Int, now: Int64) {
        while let h = states[slot].held.first, h.releaseAt <= now {
            states[slot].held.removeFirst()
            if states[slot].blockedUntil >= h.lesson.time {
                counters.heldRejected += 1
            } else {
                learn(h.lesson, slot: slot)
                counters.heldFolded += 1
            }
        }
    }

    mutating func learn(_ l: Lesson, slot: Int) {
        if let a = l.actor, let s = self.slot(of: a), s != slot { teachActor(slot: s, l) }
        var st = PrincipalState.vacant
        swap(&st, &states[slot])
        defer { swap(&st, &states[slot]) }
        let c = config
        st.actions.insert(l.action, at: l.time, cap: c.knownSetCap)
        st.know(l, cap: c.knownSetCap)
        if l.time > st.hoursAt {
            let f = Self.decay(l.time - st.hoursAt, halfLife: c.hourHalfLife)
            st.hours.scale(by: f)
            st.hoursAt = l.time
        }
        st.hours.add(hour: l.hour, 1)
        if !st.hasUsual {
            st.usual = l.samples
            st.hasUsual = true
            st.usualLong = l.longRate
        } else {
            let w = c.usualWeight
            for i in 0..<WindowSamples.count { st.usual[i] += w * (l.samples[i] - st.usual[i]) }
            st.usualLong += w * (l.longRate - st.usualLong)
        }
        st.learned += 1
        account(slot, st)
    }

    /// The live slot of `principal`, made the most recent of its pool: found, restored from its
    /// compact form, or new. At the pool's cap the least recently seen principal of that pool is
    /// evicted first. O(1) amortised.
    mutating func slotFor(_ principal: String, key: UInt64, at t: Int64) -> Int {
        if let s = slot(of: principal, key: key) {
            touch(s)
            return s
        }
        let pool = PrincipalPool.of(principal)
        while recency[pool.rawValue].count >= cap(pool) { evictLeastRecent(pool) }
        let st: PrincipalState
        if let d = dormant.remove(principal, key: key) {
            changes.dormant(principal)
            accountedBytes -= d.accountedBytes
            st = d.restored(knownSetCap: config.knownSetCap)
            counters.principalsRestored += 1
        } else {
            st = PrincipalState(at: t)
            counters.principalsCreated += 1
        }
        let slot: Int
        if let f = free.popLast() {
            slot = f
            states[f] = st
            names[f] = principal
            pools[f] = UInt8(pool.rawValue)
            costs[f] = 0
        } else {
            slot = states.count
            states.append(st)
            names.append(principal)
            pools.append(UInt8(pool.rawValue))
            links.append(RecencyList.Link(previous: -1, next: -1))
            costs.append(0)
            changes.grow()
        }
        index.insert(key, slot)
        recency[pool.rawValue].append(slot, &links)
        changes.touched(slot)
        account(slot, states[slot])
        return slot
    }

    /// Evicts the least recently seen principal of `pool`: identified ones are kept in compact form
    /// (``DormantPrincipal``), anonymous ones are forgotten (anyone can mint them again). O(1)
    /// amortised.
    mutating func evictLeastRecent(_ pool: PrincipalPool) {
        let h = recency[pool.rawValue].head
        guard h >= 0 else { return }
        let slot = Int(h)
        let name = names[slot]
        let key = StableHash.fnv1a(name)
        recency[pool.rawValue].remove(slot, &links)
        index.remove(key, value: slot)
        // Moved out, not copied: the slot is vacant from here on.
        var st = PrincipalState.vacant
        swap(&st, &states[slot])
        counters.heldDiscarded += st.held.count
        changes.removed(slot, name)
        if pool == .identified && config.maxDormant > 0 {
            generation &+= 1
            let d = DormantPrincipal(st, generation: generation)
            dormant.insert(name, key: key, d)
            changes.dormant(name)
            accountedBytes += d.accountedBytes
            counters.principalsCompacted += 1
            while dormant.count > config.maxDormant { forgetOldestDormant() }
        }
        accountedBytes -= costs[slot]
        costs[slot] = 0
        names[slot] = ""
        free.append(slot)
        counters.principalsEvicted += 1
        if pool == .anonymous { counters.anonymousEvicted += 1 }
    }

    /// Drops the compact form evicted longest ago.
    mutating func forgetOldestDormant() {
        guard let (name, d) = dormant.removeOldest() else { return }
        changes.dormant(name)
        accountedBytes -= d.accountedBytes
        counters.dormantForgotten += 1
    }

    /// Keeps `accountedBytes` within `memoryLimit` (when set): compact forms go first, then
    /// anonymous principals, then identified ones, least recently seen first; never `slot`.
    mutating func enforceMemoryLimit(keeping slot: Int) {
        guard config.memoryLimit > 0 else { return }
        while accountedBytes > config.memoryLimit {
            if !dormant.isEmpty {
                forgetOldestDormant()
            } else if let pool = [PrincipalPool.anonymous, .identified].first(where: {
                recency[$0.rawValue].count > ($0.rawValue == Int(pools[slot]) ? 1 : 0)
            }) {
                if recency[pool.rawValue].head == Int32(slot) { touch(slot) }
                evictLeastRecent(pool)
                counters.memoryEvictions += 1
            } else {
                return
            }
        }
    }

    /// Re-accounts `slot` after its state changed.
    @inline(__always) mutating func account(_ slot: Int, _ st: PrincipalState) {
        let c = st.accountedBytes
        accountedBytes += c - costs[slot]
        costs[slot] = c
        changes.mark(slot)
    }

    /// Makes `slot` the most recent of its pool.
    @inline(__always) mutating func touch(_ slot: Int) {
        recency[Int(pools[slot])].touch(slot, &links)
        changes.touched(slot)
    }

    mutating func decayLong(_ st: inout PrincipalState, to t: Int64) {
        if t > st.longAt {
            st.longCount *= Self.decay(t - st.longAt, halfLife: config.longHalfLife)
            st.longAt = t
        }
    }

    static func decay(_ dt: Int64, halfLife: Int64) -> Double {
        Foundation_exp2(-Double(dt) / Double(halfLife))
    }

    func windowSamples(_ st: PrincipalState) -> WindowSamples {
        let n = Double(st.window.count)
        return WindowSamples(n, Double(st.window.distinctActions), Double(st.window.distinctResources),
                             Double(st.window.bytes), n > 0 ? Double(st.window.failures) / n : 0)
    }

    /// The live slot of `principal` (whose `fnv1a` is `key`), or nil. No String hashing: the key
    /// finds the candidates, the name confirms one.
    @inline(__always) func slot(of principal: String, key: UInt64) -> Int? {
        index.find(key) { names[$0] == principal }
    }

    /// ``slot(of:key:)`` for a name whose key is not at hand (hashes it: not on the per-event path).
    func slot(of principal: String) -> Int? { slot(of: principal, key: StableHash.fnv1a(principal)) }

    /// The sensitivity of the event's action (`key` is its `fnv1a`), memoised per action.
    mutating func sensitivityOf(_ e: AccessEvent, key: UInt64) -> Double {
        if let i = sensitivityIndex.find(key, where: { sensitivityActions[$0] == e.action }) { return sensitivities[i] }
        let s = ActionSensitivity.of(e.action, readOnly: e.readOnly)
        if sensitivities.count < 50_000 {
            sensitivityIndex.insert(key, sensitivities.count)
            sensitivityActions.append(e.action)
            sensitivities.append(s)
        }
        return s
    }
}

/// What the baseline counted: overflows, evictions and the fate of held lessons.
public struct BaselineCounters: Codable, Sendable, Equatable {
    public var principalsCreated = 0
    public var principalsEvicted = 0
    /// Of the evicted: anonymous ones (forgotten), identified ones kept in compact form, and those
    /// evicted to stay within `memoryLimit`.
    public var anonymousEvicted = 0
    public var principalsCompacted = 0
    public var memoryEvictions = 0
    /// Compact forms brought back to life when their principal returned, and compact forms dropped.
    public var principalsRestored = 0
    public var dormantForgotten = 0
    public var windowOverflow = 0
    public var held = 0
    public var heldFolded = 0
    public var heldRejected = 0
    public var heldDiscarded = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case principalsCreated, principalsEvicted, anonymousEvicted, principalsCompacted, memoryEvictions
        case principalsRestored, dormantForgotten, windowOverflow, held, heldFolded, heldRejected, heldDiscarded
    }

    /// Counters missing from a snapshot written by an earlier version start at 0.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get(_ k: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: k) ?? 0 }
        principalsCreated = try get(.principalsCreated)
        principalsEvicted = try get(.principalsEvicted)
        anonymousEvicted = try get(.anonymousEvicted)
        principalsCompacted = try get(.principalsCompacted)
        memoryEvictions = try get(.memoryEvictions)
        principalsRestored = try get(.principalsRestored)
        dormantForgotten = try get(.dormantForgotten)
        windowOverflow = try get(.windowOverflow)
        held = try get(.held)
        heldFolded = try get(.heldFolded)
        heldRejected = try get(.heldRejected)
        heldDiscarded = try get(.heldDiscarded)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func Foundation_exp2(_ x: Double) -> Double { Glibc.exp2(x) }
#else
import Darwin
@inline(__always) func Foundation_exp2(_ x: Double) -> Double { Darwin.exp2(x) }
#endif
