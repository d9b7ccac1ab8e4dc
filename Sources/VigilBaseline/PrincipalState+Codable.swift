import DequeModule
import VigilCore

/// Per-principal state in JSON (model files written by `vigil train`, and layout-1 state
/// directories), in the shape the earlier struct of dictionaries had, so files written before the
/// compact record still load and files written now read the same way.
///
/// The window's counters are not trusted from the file: they are sums over its entries and are
/// recomputed. Only the newest entries carry their event ID (``RecentEventIDs``); older entries
/// are written with an empty `id`, which nothing reads.
extension PrincipalState: Codable {
    private struct Entry: Codable {
        var time: Int64
        var action: UInt64
        var resource: UInt64
        var bytes: Int64
        var failed: Bool
        var id: String
    }

    private struct KnownSet: Codable {
        var lastSeen: [UInt64: Int64]
        var evicted: Int
    }

    private enum CodingKeys: String, CodingKey {
        case firstSeen, lastSeen, events, learned, window, actionCounts, resourceCounts, windowBytes, windowFailures
        case longCount, longAt, usual, usualLong, actions, networks, agents, regions, hours, hoursAt, held, blockedUntil
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(at: try c.decode(Int64.self, forKey: .firstSeen))
        lastSeen = try c.decode(Int64.self, forKey: .lastSeen)
        events = try c.decode(Int.self, forKey: .events)
        learned = try c.decode(Int.self, forKey: .learned)
        let entries = try c.decode([Entry].self, forKey: .window)
        for e in entries {
            window.append(WindowEntry(time: e.time, action: e.action, resource: e.resource, bytes: e.bytes, failed: e.failed))
        }
        for e in entries.suffix(RecentEventIDs.capacity) { ids.append(CompactEventID(e.id)) }
        longCount = try c.decode(Double.self, forKey: .longCount)
        longAt = try c.decode(Int64.self, forKey: .longAt)
        let u = try c.decode([Double].self, forKey: .usual)
        if !u.isEmpty {
            guard u.count == WindowSamples.count else {
                throw DecodingError.dataCorruptedError(forKey: .usual, in: c, debugDescription: "expected \(WindowSamples.count) usual values")
            }
            usual = WindowSamples(u)
            hasUsual = true
        }
        usualLong = try c.decode(Double.self, forKey: .usualLong)
        func set(_ k: CodingKeys) throws -> DecayingSet {
            let s = try c.decode(KnownSet.self, forKey: k)
            return DecayingSet(members: s.lastSeen, evicted: s.evicted)
        }
        actions = try set(.actions)
        networks = try set(.networks)
        agents = try set(.agents)
        regions = try set(.regions)
        let h = try c.decode([Double].self, forKey: .hours)
        guard h.count == 24 else { throw DecodingError.dataCorruptedError(forKey: .hours, in: c, debugDescription: "expected 24 hours") }
        hours = HourHistogram(dense: h)
        hoursAt = try c.decode(Int64.self, forKey: .hoursAt)
        held = try c.decode(Deque<HeldLesson>.self, forKey: .held)
        blockedUntil = try c.decode(Int64.self, forKey: .blockedUntil)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(events, forKey: .events)
        try c.encode(learned, forKey: .learned)
        let entries = window.entries
        let recent = ids.strings
        let unnamed = entries.count - recent.count
        try c.encode(entries.enumerated().map { i, e in
            Entry(time: e.time, action: e.action, resource: e.resource, bytes: e.bytes, failed: e.failed,
                  id: i < unnamed ? "" : recent[i - unnamed])
        }, forKey: .window)
        var actionCounts: [UInt64: Int32] = [:], resourceCounts: [UInt64: Int32] = [:]
        for e in entries {
            actionCounts[e.action, default: 0] += 1
            resourceCounts[e.resource, default: 0] += 1
        }
        try c.encode(actionCounts, forKey: .actionCounts)
        try c.encode(resourceCounts, forKey: .resourceCounts)
        try c.encode(window.bytes, forKey: .windowBytes)
        try c.encode(window.failures, forKey: .windowFailures)
        try c.encode(longCount, forKey: .longCount)
        try c.encode(longAt, forKey: .longAt)
        try c.encode(hasUsual ? usual.array : [], forKey: .usual)
        try c.encode(usualLong, forKey: .usualLong)
        for (k, s) in [(CodingKeys.actions, actions), (.networks, networks), (.agents, agents), (.regions, regions)] {
            try c.encode(KnownSet(lastSeen: s.members, evicted: s.evicted), forKey: k)
        }
        try c.encode(hours.values, forKey: .hours)
        try c.encode(hoursAt, forKey: .hoursAt)
        try c.encode(held, forKey: .held)
        try c.encode(blockedUntil, forKey: .blockedUntil)
    }
}

/// A compact form in JSON, in the shape it has always had (floats, all 24 hours, counts per set).
extension DormantPrincipal: Codable {
    private enum CodingKeys: String, CodingKey {
        case firstSeen, lastSeen, events, learned, usual, usualLong, hours, hoursAt, blockedUntil, known, counts, generation
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        firstSeen = try c.decode(Int64.self, forKey: .firstSeen)
        lastSeen = try c.decode(Int64.self, forKey: .lastSeen)
        events = try c.decode(Int.self, forKey: .events)
        learned = try c.decode(Int.self, forKey: .learned)
        let u = try c.decode([Float].self, forKey: .usual).map(Double.init)
        guard u.isEmpty || u.count == WindowSamples.count else {
            throw DecodingError.dataCorruptedError(forKey: .usual, in: c, debugDescription: "expected \(WindowSamples.count) usual values")
        }
        hasUsual = !u.isEmpty
        usual = hasUsual ? WindowSamples(u) : WindowSamples(0, 0, 0, 0, 0)
        usualLong = Double(try c.decode(Float.self, forKey: .usualLong))
        let h = try c.decode([Float].self, forKey: .hours)
        guard h.count <= 24 else { throw DecodingError.dataCorruptedError(forKey: .hours, in: c, debugDescription: "more than 24 hours") }
        hours = HourHistogram(dense: h.map(Double.init))
        hoursAt = try c.decode(Int64.self, forKey: .hoursAt)
        blockedUntil = try c.decode(Int64.self, forKey: .blockedUntil)
        known = try c.decode([UInt64].self, forKey: .known)
        let counts = try c.decode([UInt8].self, forKey: .counts)
        guard counts.count <= 4, counts.reduce(0, { $0 + Int($1) }) == known.count else {
            throw DecodingError.dataCorruptedError(forKey: .counts, in: c, debugDescription: "counts do not match the known members")
        }
        packedCounts = 0
        for (i, n) in counts.enumerated() { packedCounts |= UInt32(n) << UInt32(8 * i) }
        generation = try c.decode(UInt64.self, forKey: .generation)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(events, forKey: .events)
        try c.encode(learned, forKey: .learned)
        try c.encode(hasUsual ? usual.array.map(Float.init) : [], forKey: .usual)
        try c.encode(Float(usualLong), forKey: .usualLong)
        try c.encode(hours.values.map(Float.init), forKey: .hours)
        try c.encode(hoursAt, forKey: .hoursAt)
        try c.encode(blockedUntil, forKey: .blockedUntil)
        try c.encode(known, forKey: .known)
        try c.encode(counts, forKey: .counts)
        try c.encode(generation, forKey: .generation)
    }
}
