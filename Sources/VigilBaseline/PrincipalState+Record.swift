import DequeModule
import VigilCore

/// Per-principal state as a checkpoint record: fields written one after another, numbers as
/// varints or IEEE bits, no keys.
///
/// What is not written is derived: the window's action and resource counters, its bytes and its
/// failures are recomputed from the window entries on reading (they are sums over it), and a held
/// lesson's principal is its owner's name unless it says otherwise. Record version 1.
extension PrincipalState {
    static let recordVersion: UInt8 = 1

    func write(to w: inout BinaryWriter, owner: String) {
        w.u8(Self.recordVersion)
        w.zigzag(firstSeen)
        w.zigzag(lastSeen)
        w.int(events)
        w.int(learned)
        w.varint(UInt64(window.count))
        var previous = firstSeen
        for e in window {
            w.zigzag(e.time &- previous)   // entries are close in time: deltas stay short
            previous = e.time
            w.u64(e.action)
            w.u64(e.resource)
            w.zigzag(e.bytes)
            w.bool(e.failed)
            w.string(e.id)
        }
        w.f64(longCount)
        w.zigzag(longAt)
        w.varint(UInt64(usual.count))
        for u in usual { w.f64(u) }
        w.f64(usualLong)
        actions.write(to: &w)
        networks.write(to: &w)
        agents.write(to: &w)
        regions.write(to: &w)
        var nonzero = 0
        for h in hours where h != 0 { nonzero += 1 }
        w.u8(UInt8(nonzero))           // hours are sparse: most principals work a few of them
        for (i, h) in hours.enumerated() where h != 0 {
            w.u8(UInt8(i))
            w.f64(h)
        }
        w.zigzag(hoursAt)
        w.varint(UInt64(held.count))
        for h in held {
            w.zigzag(h.releaseAt)
            h.lesson.write(to: &w, owner: owner)
        }
        w.zigzag(blockedUntil)
    }

    init(from r: inout BinaryReader, owner: String) throws {
        let at = r.offset
        guard try r.u8() == Self.recordVersion else { throw BinaryError.invalid("principal record of another version", at: at) }
        self.init(at: try r.zigzag())
        lastSeen = try r.zigzag()
        events = try r.int()
        learned = try r.int()
        let n = try r.count(minBytes: 21)
        var previous = firstSeen
        window.reserveCapacity(n)
        for _ in 0..<n {
            let t = previous &+ (try r.zigzag())
            previous = t
            let e = WindowEntry(time: t, action: try r.u64(), resource: try r.u64(), bytes: try r.zigzag(),
                                failed: try r.bool(), id: try r.string())
            push(e)
        }
        longCount = try r.f64()
        longAt = try r.zigzag()
        let u = try r.count(minBytes: 8)
        usual = []
        usual.reserveCapacity(u)
        for _ in 0..<u { usual.append(try r.f64()) }
        usualLong = try r.f64()
        actions = try DecayingSet(from: &r)
        networks = try DecayingSet(from: &r)
        agents = try DecayingSet(from: &r)
        regions = try DecayingSet(from: &r)
        let nonzero = Int(try r.u8())
        for _ in 0..<nonzero {
            let i = Int(try r.u8())
            guard i < 24 else { throw BinaryError.invalid("hour \(i)", at: r.offset - 1) }
            hours[i] = try r.f64()
        }
        hoursAt = try r.zigzag()
        let h = try r.count(minBytes: 40)
        for _ in 0..<h {
            let release = try r.zigzag()
            held.append(HeldLesson(releaseAt: release, lesson: try Lesson(from: &r, owner: owner)))
        }
        blockedUntil = try r.zigzag()
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
    static let recordVersion: UInt8 = 1

    func write(to w: inout BinaryWriter) {
        w.u8(Self.recordVersion)
        w.zigzag(firstSeen)
        w.zigzag(lastSeen)
        w.int(events)
        w.int(learned)
        w.varint(UInt64(usual.count))
        for u in usual { w.u32(u.bitPattern) }
        w.u32(usualLong.bitPattern)
        w.varint(UInt64(hours.count))
        for h in hours { w.u32(h.bitPattern) }
        w.zigzag(hoursAt)
        w.zigzag(blockedUntil)
        w.varint(UInt64(counts.count))
        for c in counts { w.u8(c) }
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
        usual = try (0..<r.count(minBytes: 4)).map { _ in Float(bitPattern: try r.u32()) }
        usualLong = Float(bitPattern: try r.u32())
        hours = try (0..<r.count(minBytes: 4)).map { _ in Float(bitPattern: try r.u32()) }
        hoursAt = try r.zigzag()
        blockedUntil = try r.zigzag()
        counts = try (0..<r.count()).map { _ in try r.u8() }
        known = try (0..<counts.reduce(0) { $0 + Int($1) }).map { _ in try r.u64() }
        generation = try r.u64()
    }
}
