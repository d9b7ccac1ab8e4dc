/// A set of IP address blocks (IPv4 and IPv6) that answers "is this address inside?" in O(log n).
///
/// Why: telling an address of AWS (an EC2 instance, a NAT gateway, a service) from one outside it
/// is what separates an instance's own credentials from the same credentials on an attacker's
/// machine. AWS publishes its blocks as `ip-ranges.json`; Vigil ships a dated, collapsed copy
/// (`Models/aws-ip-ranges.txt`) and reads either form, so a newer file from AWS can be pointed at
/// as it is downloaded.
///
/// Held as sorted, disjoint, merged intervals: 1,753 IPv4 and 2,107 IPv6 intervals for AWS's file of
/// 2026-08-22 (from 10,668 and 6,160 published prefixes), about 50 KiB. A lookup parses the address
/// (no allocation) and binary-searches the intervals.
public struct AddressRanges: Sendable, Equatable {
    /// Reads AWS's `ip-ranges.json` as published (`prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix`,
    /// `createDate`) or the compact text Vigil ships: `#` comment lines (the first is kept as
    /// ``about``), then one CIDR block or `first-last` interval per line.
    public static func parse(_ bytes: [UInt8]) throws -> AddressRanges {
        if bytes.first(where: { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }) == UInt8(ascii: "{") {
            struct Published: Decodable {
                struct V4: Decodable { var ip_prefix: String }
                struct V6: Decodable { var ipv6_prefix: String }
                var createDate: String?
                var syncToken: String?
                var prefixes: [V4]
                var ipv6_prefixes: [V6]?
            }
            let p: Published
            do {
                p = try JSONDecoder().decode(Published.self, from: Data(bytes))
            } catch {
                throw ConfigError.invalid("not AWS's ip-ranges.json (prefixes[].ip_prefix): \(error)")
            }
            let about = "AWS ip-ranges.json, createDate \(p.createDate ?? "unknown"), syncToken \(p.syncToken ?? "unknown")"
            return try AddressRanges(blocks: p.prefixes.map(\.ip_prefix) + (p.ipv6_prefixes ?? []).map(\.ipv6_prefix), about: about)
        }
        var about = ""
        var blocks: [String] = []
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            if t.hasPrefix("#") {
                if about.isEmpty { about = t.dropFirst().trimmingCharacters(in: .whitespaces) }
                continue
            }
            blocks.append(t)
        }
        guard !blocks.isEmpty else { throw ConfigError.invalid("no address ranges in the file") }
        return try AddressRanges(blocks: blocks, about: about)
    }

    /// IPv4 intervals, inclusive, sorted by start, disjoint and not adjacent.
    var v4: [ClosedRange<UInt32>] = []
    /// IPv6 intervals as (high 64 bits, low 64 bits), inclusive, sorted, disjoint.
    var v6: [(start: IPv6Bits, end: IPv6Bits)] = []
    /// Where the blocks came from and when they were published (for the README and `--help`).
    public private(set) var about: String

    public var ipv4Intervals: Int { v4.count }
    public var ipv6Intervals: Int { v6.count }

    /// `blocks`: CIDR blocks (`3.5.140.0/22`, `2600:1f14::/35`) or inclusive intervals
    /// (`3.4.12.4-3.4.12.9`), in any order, overlapping or not.
    public init(blocks: [String], about: String = "") throws {
        self.about = about
        var four: [ClosedRange<UInt32>] = []
        var six: [(start: IPv6Bits, end: IPv6Bits)] = []
        for c in blocks {
            if let dash = c.firstIndex(of: "-") {
                let first = c[..<dash], last = c[c.index(after: dash)...]
                if let a = Self.parseIPv4(first), let b = Self.parseIPv4(last), a <= b {
                    four.append(a...b)
                } else if let a = Self.parseIPv6(first), let b = Self.parseIPv6(last), a <= b {
                    six.append((a, b))
                } else {
                    throw ConfigError.invalid("address range \(c): expected FIRST-LAST addresses of one family, first not above last")
                }
                continue
            }
            let parts = c.split(separator: "/", maxSplits: 1)
            guard parts.count == 2, let bits = Int(parts[1]) else { throw ConfigError.invalid("address range \(c): expected ADDRESS/BITS or FIRST-LAST") }
            if let a = Self.parseIPv4(parts[0]) {
                guard (0...32).contains(bits) else { throw ConfigError.invalid("address range \(c): prefix length beyond 32") }
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                four.append((a & mask)...(a | ~mask))
            } else if let a = Self.parseIPv6(parts[0]) {
                guard (0...128).contains(bits) else { throw ConfigError.invalid("address range \(c): prefix length beyond 128") }
                six.append(Self.block(a, bits))
            } else {
                throw ConfigError.invalid("address range \(c): not an IPv4 or IPv6 address")
            }
        }
        four.sort { $0.lowerBound < $1.lowerBound }
        for r in four {
            if let last = v4.last, r.lowerBound <= last.upperBound &+ 1 || last.upperBound == .max {
                v4[v4.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                v4.append(r)
            }
        }
        six.sort { $0.start < $1.start }
        for r in six {
            if let last = v6.last, r.start <= last.end.successor || last.end == .max {
                v6[v6.count - 1].end = max(last.end, r.end)
            } else {
                v6.append(r)
            }
        }
    }

    /// True when `ip` (dotted IPv4, or IPv6 text) lies in one of the blocks. Anything that is not
    /// an address (`ec2.amazonaws.com`, `AWS Internal`) is not inside.
    public func contains(_ ip: Substring) -> Bool {
        if let a = Self.parseIPv4(ip) {
            var lo = 0, hi = v4.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if v4[mid].upperBound < a { lo = mid + 1 } else { hi = mid }
            }
            return lo < v4.count && v4[lo].contains(a)
        }
        if let a = Self.parseIPv6(ip) {
            var lo = 0, hi = v6.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if v6[mid].end < a { lo = mid + 1 } else { hi = mid }
            }
            return lo < v6.count && v6[lo].start <= a && a <= v6[lo].end
        }
        return false
    }

    public func contains(_ ip: String) -> Bool { contains(Substring(ip)) }

    public static func == (a: AddressRanges, b: AddressRanges) -> Bool {
        a.v4 == b.v4 && a.v6.count == b.v6.count && zip(a.v6, b.v6).allSatisfy { $0.start == $1.start && $0.end == $1.end }
    }

    /// The intervals as text, one `first-last` line each (IPv4, then IPv6): the compact copy's body,
    /// read back by ``parse(text:)`` exactly.
    public func intervalLines() -> [String] {
        v4.map { Self.formatIPv4($0.lowerBound) + "-" + Self.formatIPv4($0.upperBound) }
            + v6.map { Self.formatIPv6($0.start) + "-" + Self.formatIPv6($0.end) }
    }

    // MARK: - Addresses

    /// `a.b.c.d` → its 32 bits; nil for anything else.
    public static func parseIPv4(_ s: Substring) -> UInt32? {
        var value: UInt32 = 0, part: UInt32 = 0, digits = 0, dots = 0
        for b in s.utf8 {
            if b >= 48 && b <= 57 {
                part = part * 10 + UInt32(b - 48)
                digits += 1
                if part > 255 || digits > 3 { return nil }
            } else if b == 46 {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | part
                part = 0
                digits = 0
                dots += 1
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | part
    }

    /// IPv6 text (with `::`, and an IPv4 tail such as `::ffff:1.2.3.4`) → its 128 bits; nil otherwise.
    /// A zone (`%eth0`) is not an address CloudTrail writes and is refused.
    public static func parseIPv6(_ s: Substring) -> IPv6Bits? {
        guard s.contains(":"), s.utf8.count <= 45 else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawGap = false
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        sawGap = halves.count == 2
        func groups(_ text: String, _ out: inout [UInt16], allowV4: Bool) -> Bool {
            if text.isEmpty { return true }
            let fields = text.split(separator: ":", omittingEmptySubsequences: false)
            for (i, f) in fields.enumerated() {
                if allowV4, i == fields.count - 1, f.contains("."), let v4 = parseIPv4(f) {
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xffff))
                    continue
                }
                guard !f.isEmpty, f.utf8.count <= 4, let g = UInt16(f, radix: 16) else { return false }
                out.append(g)
            }
            return true
        }
        guard groups(halves[0], &head, allowV4: !sawGap), !sawGap || groups(halves[1], &tail, allowV4: true) else { return nil }
        let count = head.count + tail.count
        if sawGap { guard count <= 7 else { return nil } } else { guard count == 8 else { return nil } }
        let all = head + Array(repeating: 0, count: 8 - count) + tail
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        return IPv6Bits(hi: hi, lo: lo)
    }

    static func formatIPv4(_ a: UInt32) -> String {
        "\(a >> 24).\(a >> 16 & 0xff).\(a >> 8 & 0xff).\(a & 0xff)"
    }

    /// Full eight-group form (no `::`): unambiguous and read back by ``parseIPv6(_:)``.
    static func formatIPv6(_ a: IPv6Bits) -> String {
        var groups: [String] = []
        for i in 0..<4 { groups.append(String((a.hi >> UInt64(48 - 16 * i)) & 0xffff, radix: 16)) }
        for i in 0..<4 { groups.append(String((a.lo >> UInt64(48 - 16 * i)) & 0xffff, radix: 16)) }
        return groups.joined(separator: ":")
    }

    static func block(_ a: IPv6Bits, _ bits: Int) -> (start: IPv6Bits, end: IPv6Bits) {
        func masks(_ bits: Int) -> (UInt64, UInt64) {
            let hiMask: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~UInt64(0) << UInt64(64 - bits))
            let loBits = max(0, bits - 64)
            let loMask: UInt64 = loBits >= 64 ? ~0 : (loBits == 0 ? 0 : ~UInt64(0) << UInt64(64 - loBits))
            return (hiMask, loMask)
        }
        let (hm, lm) = masks(bits)
        return (IPv6Bits(hi: a.hi & hm, lo: a.lo & lm), IPv6Bits(hi: a.hi | ~hm, lo: a.lo | ~lm))
    }
}

/// 128 address bits as two words (ordered as the address).
public struct IPv6Bits: Sendable, Hashable, Comparable {
    public var hi: UInt64
    public var lo: UInt64

    public init(hi: UInt64, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    static let max = IPv6Bits(hi: .max, lo: .max)

    public static func < (a: IPv6Bits, b: IPv6Bits) -> Bool { a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo }

    /// The next address (wraps to 0 after the last; callers check ``max`` first).
    var successor: IPv6Bits { lo == .max ? IPv6Bits(hi: hi &+ 1, lo: 0) : IPv6Bits(hi: hi, lo: lo + 1) }
}

import Foundation
