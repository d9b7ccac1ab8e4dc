/// Stable 64-bit keys for strings (FNV-1a), so repeated values are compared as integers on the hot
/// path and snapshots mean the same thing in every process (Swift's `Hasher` is seeded per run).
public enum StableHash {
    @inline(__always) public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    /// The shard of `principal` among `shards` (FNV-1a mod N): the same in every process, so a
    /// router, its workers and `replay --shard` agree on where each principal lives.
    @inline(__always) public static func shard(of principal: String, shards: Int) -> Int {
        Int(fnv1a(principal) % UInt64(max(1, shards)))
    }
}

/// Coarsens raw attributes into what "new" should mean for a person.
public enum AttributeKeys {
    /// IPv4 → its /24, IPv6 → its /48, anything else (AWS service names) as it is.
    public static func network(_ ip: String?) -> String {
        guard let ip, !ip.isEmpty else { return "-" }
        if ip.contains(":") && !ip.contains(".amazonaws.com") {
            let groups = ip.split(separator: ":", omittingEmptySubsequences: false)
            return groups.prefix(3).joined(separator: ":") + "::/48"
        }
        let parts = ip.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) {
            return parts.prefix(3).joined(separator: ".") + ".0/24"
        }
        return ip
    }

    /// `aws-cli/2.13.5 Python/3.11 …` → `aws-cli/2`: the tool and its major version.
    public static func userAgentFamily(_ ua: String?) -> String {
        guard let ua, !ua.isEmpty else { return "-" }
        let first = ua.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ua
        var out = first
        if let slash = first.firstIndex(of: "/") {
            let version = first[first.index(after: slash)...]
            let major = version.prefix { $0.isNumber }
            out = String(first[..<slash]) + "/" + major
        }
        return String(out.prefix(64))
    }
}
