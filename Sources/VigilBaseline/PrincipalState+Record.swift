import DequeModule
import VigilCore

/// Per-principal state as a checkpoint record: fields written one after another, numbers as
/// varints or IEEE bits, no keys.
///
/// What is not written is derived: the window's action and resource counters, its bytes and its
/// failures are recomputed from the window entries on reading (they are sums over it), and a held
/// lesson's principal is its owner's name unless it says otherwise.
extension PrincipalState {
    /// Version 2: times relative to `firstSeen`, window entries without IDs, then the newest IDs,
    /// usual values inline. Version 1 (absolute times, an ID per window entry) is still read.
    static let recordVersion: UInt8 = 2

    func write(to w: inout BinaryWriter, owner: String) {
        w.u8(Self.recordVersion)
        let base = firstSeen
        w.zigzag(firstSeen)
        w.zigzag(lastSeen &- base)
        w.int(events)
        w.int(learned)
        w.varint(UInt64(window.count))
        var previous = firstSeen
        window.forEach { e in
            w.zigzag(e.time &- previous)   // entries are close in time: deltas stay short
            previous = e.time
            w.u64(e.action)
            w.u64(e.resource)
            w.zigzag(e.bytes)
            w.bool(e.failed)
        }
        w.varint(UInt64(ids.count))
        ids.forEach { $0.write(to: &w) }
        w.f64(longCount)
        w.zigzag(longAt &- base)
        w.bool(hasUsual)
        if hasUsual { for i in 0..<WindowSamples.count { w.f64(usual[i]) } }
        w.f64(usualLong)
        actions.write(to: &w, relativeTo: base)
        networks.write(to: &w, relativeTo: base)
        agents.write(to: &w, relativeTo: base)
        regions.write(to: &w, relativeTo: base)
        var nonzero = 0
        hours.forEach { _, v in if v != 0 { nonzero += 1 } }
        w.u8(UInt8(nonzero))           // hours are sparse: most principals work a few of them
        hours.forEach { h, v in
            if v != 0 {
                w.u8(UInt8(h))
                w.f64(v)
            }
        }
        w.zigzag(hoursAt &- base)
        w.varint(UInt64(held.count))
        for h in held {
            w.zigzag(h.releaseAt)
            h.lesson.write(to: &w, owner: owner)
        }
        // Never blocked (the usual case) is one byte, not the ten of Int64.min.
        if blockedUntil == Int64.min {
            w.u8(0)
        } else {
            w.u8(1)
            w.zigzag(blockedUntil &- base)
        }
    }

    init(from r: inout BinaryReader, owner: String) throws {
        let at = r.offset
        let version = try r.u8()
        guard version == 1 || version == Self.recordVersion else {
            throw BinaryError.invalid("principal record of version \(version)", at: at)
        }
        self.init(at: try r.zigzag())
        let base = version == 1 ? 0 : firstSeen
        lastSeen = base &+ (try r.zigzag())
        events = try r.int()
        learned = try r.int()
        let n = try r.count(minBytes: version == 1 ? 21 : 20)
        var previous = firstSeen
        var v1IDs: [String] = []
        for _ in 0..<n {
            let t = previous &+ (try r.zigzag())
            previous = t
            let e = WindowEntry(time: t, action: try r.u64(), resource: try r.u64(), bytes: try r.zigzag(), failed: try r.bool())
            window.append(e)
            if version == 1 { v1IDs.append(try r.string()) }
        }
        if version == 1 {
            for id in v1IDs.suffix(RecentEventIDs.capacity) { ids.append(CompactEventID(id)) }
        } else {
            let k = try r.count(minBytes: 2)
            guard k <= min(n, RecentEventIDs.capacity) else { throw BinaryError.invalid("\(k) event IDs for \(n) window entries", at: r.offset) }
            for _ in 0..<k { ids.append(try CompactEventID(from: &r)) }
        }
        longCount = try r.f64()
        longAt = base &+ (try r.zigzag())
        if version == 1 {
            let u = try r.count(minBytes: 8)
            var values: [Double] = []
            for _ in 0..<u { values.append(try r.f64()) }
            if !values.isEmpty {
                usual = WindowSamples(values)
                hasUsual = true
            }
        } else if try r.bool() {
            usual = WindowSamples(try r.f64(), try r.f64(), try r.f64(), try r.f64(), try r.f64())
            hasUsual = true
        }
        usualLong = try r.f64()
        actions = try DecayingSet(from: &r, relativeTo: base)
        networks = try DecayingSet(from: &r, relativeTo: base)
        agents = try DecayingSet(from: &r, relativeTo: base)
        regions = try DecayingSet(from: &r, relativeTo: base)
        let nonzero = Int(try r.u8())
        var last = -1
        for _ in 0..<nonzero {
            let i = Int(try r.u8())
            guard i < 24, i > last else { throw BinaryError.invalid("hour \(i)", at: r.offset - 1) }
            last = i
            hours.add(hour: i, try r.f64())
        }
        hoursAt = base &+ (try r.zigzag())
        let h = try r.count(minBytes: 40)
        for _ in 0..<h {
            let release = try r.zigzag()
            held.append(HeldLesson(releaseAt: release, lesson: try Lesson(from: &r, owner: owner)))
        }
        if version == 1 {
            blockedUntil = try r.zigzag()
        } else {
            blockedUntil = try r.bool() ? base &+ (try r.zigzag()) : Int64.min
        }
    }
}

extension Lesson {
    func write(to w: inout BinaryWriter, owner: String) {
        if principal == owner { w.u8(0) } else { w.u8(1); w.string(principal) }
        w.zigzag(time)
        w.u64(action)
        w.u64(network)
        w.u64(agent)
        w.u64(region)
        w.u8(UInt8(hour))
        for i in 0..<WindowSamples.count { w.f64(samples[i]) }
        w.f64(longRate)
        if let a = actor { w.u8(1); w.string(a) } else { w.u8(0) }
    }

    init(from r: inout BinaryReader, owner: String) throws {
        let name = try r.bool() ? try r.string() : owner
        let time = try r.zigzag()
        let action = try r.u64(), network = try r.u64(), agent = try r.u64(), region = try r.u64()
        let hour = Int(try r.u8())
        guard hour < 24 else { throw BinaryError.invalid("hour \(hour)", at: r.offset - 1) }
        let samples = WindowSamples(try r.f64(), try r.f64(), try r.f64(), try r.f64(), try r.f64())
        self.init(principal: name, principalKey: StableHash.fnv1a(name), time: time, action: action, network: network,
                  agent: agent, region: region, hour: hour, samples: samples, longRate: try r.f64())
        if try r.bool() { actor = try r.string() }
    }
}

extension DormantPrincipal {
    /// Usual values and hours are written as single-precision floats (all 24 hours), as the
    /// compact form has always been written.
    static let recordVersion: UInt8 = 1

    func write(to w: inout BinaryWriter) {
        w.u8(Self.recordVersion)
        w.zigzag(firstSeen)
        w.zigzag(lastSeen)
        w.int(events)
        w.int(learned)
        w.varint(hasUsual ? UInt64(WindowSamples.count) : 0)
        if hasUsual { for i in 0..<WindowSamples.count { w.u32(Float(usual[i]).bitPattern) } }
        w.u32(Float(usualLong).bitPattern)
        w.varint(24)
        for h in hours.values { w.u32(Float(h).bitPattern) }
        w.zigzag(hoursAt)
        w.zigzag(blockedUntil)
        let c = counts
        w.varint(UInt64(c.count))
        for n in c { w.u8(n) }
        for k in known { w.u64(k) }
        w.u64(generation)
    }

    init(from r: inout BinaryReader) throws {
        let at = r.offset
        guard try r.u8() == Self.recordVersion else { throw BinaryError.invalid("compact principal record of another version", at: at) }
        firstSeen = try r.zigzag()
        lastSeen = try r.zigzag()
        events = try r.int()
        learned = try r.int()
        let u = try (0..<r.count(minBytes: 4)).map { _ in Double(Float(bitPattern: try r.u32())) }
        guard u.isEmpty || u.count == WindowSamples.count else { throw BinaryError.invalid("\(u.count) usual values", at: r.offset) }
        hasUsual = !u.isEmpty
        usual = hasUsual ? WindowSamples(u) : WindowSamples(0, 0, 0, 0, 0)
        usualLong = Double(Float(bitPattern: try r.u32()))
        let h = try (0..<r.count(minBytes: 4)).map { _ in Double(Float(bitPattern: try r.u32())) }
        guard h.count <= 24 else { throw BinaryError.invalid("\(h.count) hours", at: r.offset) }
        hours = HourHistogram(dense: h)
        hoursAt = try r.zigzag()
        blockedUntil = try r.zigzag()
        let c = try (0..<r.count()).map { _ in try r.u8() }
        guard c.count <= 4 else { throw BinaryError.invalid("\(c.count) known-sets", at: r.offset) }
        packedCounts = 0
        for (i, n) in c.enumerated() { packedCounts |= UInt32(n) << UInt32(8 * i) }
        known = try (0..<c.reduce(0) { $0 + Int($1) }).map { _ in try r.u64() }
        generation = try r.u64()
    }
}
