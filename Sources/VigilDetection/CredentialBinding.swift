import VigilCore

/// Credentials issued to an EC2 instance or ECS task, bound to the network they are first used from: the
/// same temporary access key calling from another network is an alert (the analogue of GuardDuty's
/// `InstanceCredentialExfiltration`; no lookup service needed).
///
/// Why it works: an EC2 instance role's, a Lambda function's or an ECS task's temporary credentials
/// are fetched from inside AWS and used from there — one NAT or public address, or private
/// addresses through VPC endpoints. Credentials stolen from the instance metadata service (SSRF,
/// a compromised workload) are then used from the attacker's machine: a second public network.
///
/// What counts: an `AssumedRole` caller with a temporary access key whose session is one compute
/// resource — the session name is an instance id (`i-0abc…`, EC2), or a 32-hex task id or a client
/// naming `exec-env/AWS_ECS` (an ECS task, which calls from its own network interface). Lambda is
/// left out on purpose: one function's credentials are shared by its concurrent execution
/// environments, which outside a VPC call from many addresses of AWS's pool, so a second network
/// there is normal (the simulator models it, and real trails show it). The
/// first public network (IPv4 /24, IPv6 /48) it is used from binds it; private addresses (RFC 1918,
/// CGNAT, IPv6 ULA and link-local) are inside the VPC and never bind or alert; a source that is a
/// service name (`ec2.amazonaws.com`, `AWS Internal`) is AWS acting, not the credential's holder.
///
/// With AWS's published ranges (`Models/aws-ip-ranges.txt`), a public address outside them is an
/// alert at once, bound or not: an instance reaching AWS only through VPC endpoints (private source
/// addresses, which never bind) or a trail that starts after the theft leaves no first network to
/// compare with, yet an EC2 instance or ECS task never calls from outside AWS. That is GuardDuty's
/// `InstanceCredentialExfiltration.OutsideAWS`.
///
/// Bounded: an entry lives `ttl` of event time past its last use (temporary credentials last at most
/// 36 h); beyond `cap` entries the least recently used go (counted by the detector as pruned).
/// Cost per event: one dictionary lookup for a known key; classification only for a new one.
struct CredentialBinding: Codable, Sendable {
    struct Bound: Codable, Sendable {
        var network: String
        var first: Int64
        var last: Int64
        var alerted: Bool
    }

    /// By access key ID, without SipHash (``KeyedTable``): read on every event of an assumed role.
    var keys = KeyedTable<Bound>()
    static let ttl: Int64 = 36 * EventTime.hour
    static let cap = 200_000

    /// What kind of compute resource a session belongs to (nil: not a compute session).
    static func computeKind(_ e: AccessEvent) -> String? {
        guard e.principalType == "AssumedRole" else { return nil }
        if let s = e.sessionName {
            if s.hasPrefix("i-"), s.count >= 10, s.count <= 19, s.utf8.dropFirst(2).allSatisfy(isHex) { return "EC2 instance \(s)" }
            if s.utf8.count == 32, s.utf8.allSatisfy(isHex) { return "ECS task \(s)" }
        }
        if let ua = e.userAgent, ASCIICase.find(ecsAgent, in: ua) != nil { return "ECS task" + (e.sessionName.map { " \($0)" } ?? "") }
        return nil
    }

    static let ecsAgent = Array("exec-env/AWS_ECS".utf8)

    static func isHex(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 97 && b <= 102) }

    /// The public network of a source address; nil for private addresses and service names.
    static func publicNetwork(_ ip: String?) -> String? {
        guard let ip, !ip.isEmpty else { return nil }
        if ip.contains(":") {
            let lower = ip.lowercased()
            guard ASCIICase.find(Array("amazonaws".utf8), in: lower) == nil, !lower.hasPrefix("fc"), !lower.hasPrefix("fd"),
                  !lower.hasPrefix("fe80"), lower != "::1" else { return nil }
            return AttributeKeys.network(ip)
        }
        let parts = ip.split(separator: ".")
        guard parts.count == 4, let a = UInt8(parts[0]), let b = UInt8(parts[1]), UInt8(parts[2]) != nil, UInt8(parts[3]) != nil else {
            return nil   // "ec2.amazonaws.com", "AWS Internal": a service acting, not a client
        }
        if a == 10 || a == 127 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168) || (a == 100 && (64...127).contains(b))
            || (a == 169 && b == 254) {
            return nil
        }
        return AttributeKeys.network(ip)
    }

    /// What one event of a compute session's credentials amounted to.
    enum Hit {
        /// Used from a second public network inside AWS (another instance, another NAT).
        case offNetwork(kind: String, bound: Bound, network: String)
        /// Used from an address outside AWS's published ranges: with or without a network it was
        /// bound to first (`bound` nil: the trail has no earlier public use of it, as when the
        /// instance reaches AWS through VPC endpoints or the log starts after the theft).
        case outsideAWS(kind: String, bound: Bound?, network: String)
    }

    /// Notes one event; returns a hit when a compute session's credentials are used from a second
    /// public network or from outside AWS's address ranges (once per credential). `ranges` nil: only
    /// the second-network check.
    mutating func observe(_ e: AccessEvent, ranges: AddressRanges?) -> Hit? {
        guard e.principalType == "AssumedRole", let key = e.accessKeyID, key.hasPrefix("ASIA") else { return nil }
        let hash = StableHash.fnv1a(key)
        if var b = keys.value(forKey: key, hash: hash) {
            guard let net = Self.publicNetwork(e.sourceIP) else { return nil }
            b.last = max(b.last, e.time)
            let outside = Self.outside(e.sourceIP, ranges)
            if (net == b.network && !outside) || b.alerted {
                keys.set(b, forKey: key, hash: hash)
                return nil
            }
            let before = b
            b.alerted = true
            keys.set(b, forKey: key, hash: hash)
            guard let kind = Self.computeKind(e) else { return nil }
            return outside ? .outsideAWS(kind: kind, bound: before, network: net) : .offNetwork(kind: kind, bound: before, network: net)
        }
        guard let kind = Self.computeKind(e), let net = Self.publicNetwork(e.sourceIP) else { return nil }
        let outside = Self.outside(e.sourceIP, ranges)
        keys.set(Bound(network: net, first: e.time, last: e.time, alerted: outside), forKey: key, hash: hash)
        return outside ? .outsideAWS(kind: kind, bound: nil, network: net) : nil
    }

    /// True when `ip` is outside AWS's published `ranges` (false without ranges to tell).
    static func outside(_ ip: String?, _ ranges: AddressRanges?) -> Bool {
        guard let ranges, let ip else { return false }
        return !ranges.contains(ip)
    }

    /// Drops entries unused for `ttl` before `newest`, then the least recently used beyond `cap`.
    /// Returns how many went. O(n) (O(n log n) when over the cap); called from the detector's prune.
    mutating func prune(newest: Int64) -> Int {
        let before = keys.count
        keys = keys.filter { $1.last >= newest - Self.ttl }
        if keys.count > Self.cap {
            let cutoff = keys.values.map(\.last).sorted()[keys.count - Self.cap * 3 / 4 - 1]
            keys = keys.filter { $1.last > cutoff }
        }
        return before - keys.count
    }
}
