/// The identities of one event as 64-bit stable keys (``StableHash``), computed once, where the
/// event is parsed.
///
/// Why: baselines, detector and de-duplication compare principals, actions, networks and clients
/// for every event. Keyed by Strings, each comparison hashes the String again (SipHash, per
/// dictionary); keyed here, it is an integer. With `--threads` ≥ 2 the keys are computed on the
/// reading thread, so detection does none of that work.
///
/// Each key is, by definition, `StableHash.fnv1a` of a String the event already names (the
/// network and client family of ``AttributeKeys``), so checkpoints and known-sets written before
/// these keys existed mean the same. The byte-level routines below compute them without building
/// the coarsened Strings; a test holds them to the definition.
public struct EventKeys: Sendable, Equatable {
    /// `fnv1a(id)`: what de-duplication remembers.
    public var id: UInt64
    /// `fnv1a(principal)`.
    public var principal: UInt64
    /// `fnv1a(action)`.
    public var action: UInt64
    /// `fnv1a(resource ?? action)`: what the window counts as distinct resources.
    public var resource: UInt64
    /// `fnv1a(region ?? "-")`.
    public var region: UInt64
    /// `fnv1a(AttributeKeys.network(sourceIP))`.
    public var network: UInt64
    /// `fnv1a(AttributeKeys.userAgentFamily(userAgent))`.
    public var agent: UInt64

    public init(id: UInt64, principal: UInt64, action: UInt64, resource: UInt64, region: UInt64, network: UInt64, agent: UInt64) {
        self.id = id
        self.principal = principal
        self.action = action
        self.resource = resource
        self.region = region
        self.network = network
        self.agent = agent
    }

    /// The keys of `e`, from its fields.
    public init(_ e: AccessEvent) {
        id = StableHash.fnv1a(e.id)
        principal = StableHash.fnv1a(e.principal)
        action = StableHash.fnv1a(e.action)
        resource = e.resource.map(StableHash.fnv1a) ?? action
        region = StableHash.fnv1a(e.region ?? "-")
        network = AttributeKeys.networkKey(e.sourceIP)
        agent = AttributeKeys.userAgentFamilyKey(e.userAgent)
    }
}

extension AccessEvent {
    /// The event's keys: those stamped by its parser, or computed now (events built by hand).
    @inline(__always) public var identity: EventKeys { keys ?? EventKeys(self) }

    /// Computes and stores the keys (parsers call it once per event).
    public mutating func stampKeys() { keys = EventKeys(self) }
}

extension StableHash {
    public static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x100_0000_01b3

    /// FNV-1a of `bytes`, continuing from `h` (FNV is a stream: the hash of `a + b` is the hash of
    /// `b` continued from the hash of `a`).
    @inline(__always) public static func fnv1a<C: Collection>(_ bytes: C, from h: UInt64 = offset) -> UInt64 where C.Element == UInt8 {
        var h = h
        for b in bytes {
            h ^= UInt64(b)
            h = h &* prime
        }
        return h
    }
}

extension AttributeKeys {
    /// `fnv1a(network(ip))` without building the network String for the common case, a dotted-quad
    /// IPv4 address; anything else goes through ``network(_:)``.
    public static func networkKey(_ ip: String?) -> UInt64 {
        guard let ip, !ip.isEmpty else { return StableHash.fnv1a("-") }
        let fast: UInt64?? = ip.utf8.withContiguousStorageIfAvailable(ipv4NetworkKey)
        if let f = fast, let key = f { return key }
        return StableHash.fnv1a(network(ip))
    }

    /// The /24 key of a canonical dotted quad (four groups of one to three digits, each at most
    /// 255, single dots): exactly the bytes ``network(_:)`` keeps, then `.0/24`. Nil otherwise.
    public static func ipv4NetworkKey(_ b: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var groups = 0, digits = 0, value = 0, thirdDot = -1
        for i in 0..<b.count {
            let c = b[i]
            if c >= 48 && c <= 57 {
                digits += 1
                value = value * 10 + Int(c - 48)
                guard digits <= 3, value <= 255 else { return nil }
            } else if c == 46 {
                guard digits > 0 else { return nil }
                groups += 1
                if groups == 3 { thirdDot = i }
                digits = 0
                value = 0
            } else {
                return nil
            }
        }
        guard digits > 0, groups == 3 else { return nil }
        let h = StableHash.fnv1a(UnsafeBufferPointer(rebasing: b[0..<thirdDot]))
        return StableHash.fnv1a(".0/24".utf8, from: h)
    }

    /// `fnv1a(userAgentFamily(ua))` without building the family String when the agent is printable
    /// ASCII that does not start with a space (where one byte is one Character); otherwise through
    /// ``userAgentFamily(_:)``.
    public static func userAgentFamilyKey(_ ua: String?) -> UInt64 {
        guard let ua, !ua.isEmpty else { return StableHash.fnv1a("-") }
        let fast: UInt64?? = ua.utf8.withContiguousStorageIfAvailable(familyKey)
        if let f = fast, let key = f { return key }
        return StableHash.fnv1a(userAgentFamily(ua))
    }

    public static func ipv4NetworkKey(_ b: UnsafeRawBufferPointer) -> UInt64? { ipv4NetworkKey(b.assumingMemoryBound(to: UInt8.self)) }
    public static func familyKey(_ b: UnsafeRawBufferPointer) -> UInt64? { familyKey(b.assumingMemoryBound(to: UInt8.self)) }

    /// The family of a printable-ASCII agent: its first token, cut after the major version when it
    /// has a `/`, at most 64 bytes. Nil when the agent needs the general routine.
    public static func familyKey(_ b: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard b.count > 0, b[0] != 32 else { return nil }
        var end = b.count, slash = -1
        for i in 0..<b.count {
            let c = b[i]
            guard c >= 32 && c < 127 else { return nil }
            if c == 32 { end = i; break }
            if c == 47 && slash < 0 { slash = i }
        }
        // Anything after the first token must be printable too, as the general routine sees it.
        if end < b.count { for i in end..<b.count where b[i] < 32 || b[i] >= 127 { return nil } }
        var kept: Int
        if slash >= 0 {
            var major = slash + 1
            while major < end, b[major] >= 48, b[major] <= 57 { major += 1 }
            kept = major
        } else {
            kept = end
        }
        kept = min(kept, 64)
        return StableHash.fnv1a(UnsafeBufferPointer(rebasing: b[0..<kept]))
    }
}
