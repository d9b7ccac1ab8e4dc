import VigilCore

/// What changed in the baseline since the last checkpoint was staged, so a checkpoint writes only
/// those principals (a delta) rather than all of them.
///
/// Why per slot and not per name: marking is on the per-event path; a slot mark is one store.
/// Each slot also keeps the sequence number of its last touch, which restores each pool's recency
/// order from records written at different checkpoints. Off (`tracking` false) unless a state
/// directory is attached, so a replay without `--state` keeps no lists.
/// - Complexity: O(1) per mark; the lists hold at most one entry per change between two
///   checkpoints, and staging empties them.
struct BaselineChanges: Sendable {
    var tracking = false
    /// Per slot: the sequence of its last touch, and whether it changed since the last staging.
    var sequence: [UInt64] = []
    var dirty: [Bool] = []
    var dirtySlots: [Int32] = []
    var clock: UInt64 = 0
    /// Live principals evicted, and principals whose compact form came or went, since the last staging.
    var removedNames: [String] = []
    var dormantNames: [String] = []

    mutating func grow() {
        sequence.append(0)
        dirty.append(false)
    }

    @inline(__always) mutating func mark(_ s: Int) {
        guard tracking, !dirty[s] else { return }
        dirty[s] = true
        dirtySlots.append(Int32(s))
    }

    @inline(__always) mutating func touched(_ s: Int) {
        clock &+= 1
        sequence[s] = clock
        mark(s)
    }

    mutating func removed(_ s: Int, _ name: String) {
        guard tracking else { return }
        dirty[s] = false
        removedNames.append(name)
    }

    mutating func dormant(_ name: String) {
        if tracking { dormantNames.append(name) }
    }
}

/// The two baseline sections of a checkpoint: live principals and compact forms.
public struct BaselineSections: Sendable {
    public var live: [UInt8]
    public var dormant: [UInt8]
    /// Principals written (live and compact).
    public var records: Int
}

extension Baseline {
    static let sectionVersion: UInt8 = 1

    /// Live principals changed since the last staging, or all of them (`full`), and the compact
    /// forms likewise; clears the marks. Layout of each: version, full flag, removed names, then
    /// records (name, touch sequence for live ones, length-prefixed record).
    /// - Complexity: O(changed principals), or O(all) when `full`.
    public mutating func stageSections(full: Bool) -> BaselineSections {
        if full { changes.tracking = true }   // a base is where marking starts: deltas follow it
        var live = BinaryWriter(capacity: 1 << 16)
        live.u8(Self.sectionVersion)
        live.bool(full)
        let removed = full ? [] : changes.removedNames
        live.varint(UInt64(removed.count))
        for n in removed { live.string(n) }
        var slots: [Int] = []
        if full {
            slots = recency.flatMap { $0.ordered(links) }
        } else {
            for s32 in changes.dirtySlots {
                let s = Int(s32)
                guard changes.dirty[s], !names[s].isEmpty else { continue }
                changes.dirty[s] = false
                slots.append(s)
            }
        }
        live.varint(UInt64(slots.count))
        live.reserve(slots.count * 384)
        for s in slots {
            live.string(names[s])
            live.u64(changes.sequence[s])
            let at = live.count
            live.u32(0)
            states.withRecord(s) { $0.write(to: &live, owner: names[s]) }
            live.patchU32(at: at, UInt32(live.count - at - 4))
        }
        var dormantBytes = BinaryWriter(capacity: 1 << 12)
        dormantBytes.u8(Self.sectionVersion)
        dormantBytes.bool(full)
        var upserts: [(String, DormantPrincipal)] = []
        var gone: [String] = []
        if full {
            upserts = dormant.inOrder.map { ($0.name, $0.record) }
        } else {
            var seen = Set<String>()
            for n in changes.dormantNames where seen.insert(n).inserted {
                if let d = dormant[n] { upserts.append((n, d)) } else { gone.append(n) }
            }
        }
        dormantBytes.varint(UInt64(gone.count))
        for n in gone { dormantBytes.string(n) }
        dormantBytes.varint(UInt64(upserts.count))
        for (n, d) in upserts {
            dormantBytes.string(n)
            d.write(to: &dormantBytes)
        }
        if full { for s in changes.dirtySlots { changes.dirty[Int(s)] = false } }
        changes.dirtySlots.removeAll(keepingCapacity: true)
        changes.removedNames.removeAll(keepingCapacity: true)
        changes.dormantNames.removeAll(keepingCapacity: true)
        return BaselineSections(live: live.take(), dormant: dormantBytes.take(), records: slots.count + upserts.count)
    }
}

/// Baseline sections read from a base checkpoint and its deltas, applied in order, then turned
/// into the snapshot a baseline is restored from. Records are kept as byte ranges until the end, so
/// a principal written by ten checkpoints is decoded once.
public struct BaselineRecords {
    private var live: [String: (sequence: UInt64, record: ArraySlice<UInt8>)] = [:]
    private var dormant: [String: DormantPrincipal] = [:]

    public init() {}

    /// Applies one checkpoint's two sections (a base's replace everything).
    public mutating func apply(live bytes: [UInt8], dormant dbytes: [UInt8]) throws {
        var r = BinaryReader(bytes)
        guard try r.u8() == Baseline.sectionVersion else { throw BinaryError.invalid("principals section of another version", at: 0) }
        if try r.bool() { live.removeAll() }
        for _ in 0..<(try r.count()) { live.removeValue(forKey: try r.string()) }
        for _ in 0..<(try r.count(minBytes: 13)) {
            let name = try r.string()
            let seq = try r.u64()
            let n = Int(try r.u32())
            live[name] = (seq, try r.raw(n))
        }
        guard r.isAtEnd else { throw BinaryError.invalid("bytes after the principals", at: r.offset) }
        var d = BinaryReader(dbytes)
        guard try d.u8() == Baseline.sectionVersion else { throw BinaryError.invalid("compact principals section of another version", at: 0) }
        if try d.bool() { dormant.removeAll() }
        for _ in 0..<(try d.count()) { dormant.removeValue(forKey: try d.string()) }
        for _ in 0..<(try d.count(minBytes: 2)) {
            let name = try d.string()
            dormant[name] = try DormantPrincipal(from: &d)
        }
        guard d.isAtEnd else { throw BinaryError.invalid("bytes after the compact principals", at: d.offset) }
    }

    /// The records as a base's two sections (compaction of a base and its deltas, off the detecting
    /// thread): live records are copied as bytes, not decoded. Same meaning as a full staging.
    public func fullSections() -> BaselineSections {
        var w = BinaryWriter(capacity: live.reduce(64) { $0 + $1.key.utf8.count + $1.value.record.count + 16 })
        w.u8(Baseline.sectionVersion)
        w.bool(true)
        w.varint(0)
        w.varint(UInt64(live.count))
        for (name, v) in live {
            w.string(name)
            w.u64(v.sequence)
            w.u32(UInt32(v.record.count))
            v.record.withUnsafeBytes { w.raw($0) }
        }
        var d = BinaryWriter(capacity: 64 + dormant.count * 160)
        d.u8(Baseline.sectionVersion)
        d.bool(true)
        d.varint(0)
        d.varint(UInt64(dormant.count))
        for (name, rec) in dormant {
            d.string(name)
            rec.write(to: &d)
        }
        return BaselineSections(live: w.take(), dormant: d.take(), records: live.count + dormant.count)
    }

    /// The snapshot these records describe: live principals by touch order, compact forms by the
    /// order they were evicted in.
    public func snapshot(config: BaselineConfig, counters: BaselineCounters) throws -> BaselineSnapshot {
        let order = live.map { (pool: PrincipalPool.of($0.key).rawValue, name: $0.key, value: $0.value) }
            .sorted { ($0.pool, $0.value.sequence) < ($1.pool, $1.value.sequence) }
        var states: [PrincipalState] = []
        states.reserveCapacity(order.count)
        for (_, name, v) in order {
            var r = BinaryReader(Array(v.record))
            states.append(try PrincipalState(from: &r, owner: name))
            guard r.isAtEnd else { throw BinaryError.invalid("bytes after the record of \(name)", at: r.offset) }
        }
        let kept = dormant.sorted { $0.value.generation < $1.value.generation }
        return BaselineSnapshot(config: config, principals: order.map(\.name), states: states,
                                dormant: kept.map(\.key), dormantStates: kept.map(\.value), counters: counters)
    }
}
