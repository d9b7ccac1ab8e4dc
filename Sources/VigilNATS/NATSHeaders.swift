/// NATS message headers: an HTTP-like block that starts with `NATS/1.0` (optionally a status code
/// and description, as JetStream's `404 No Messages` and `408 Request Timeout`), then `Name: value`
/// lines, then an empty line. Names keep their case and order; lookups ignore case.
public struct NATSHeaders: Sendable, Equatable {
    public private(set) var fields: [(name: String, value: String)] = []
    /// The status of a server-made message (e.g. 404, 408, 503), nil for an ordinary one.
    public var status: Int?
    public var statusDescription: String?

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public var isEmpty: Bool { fields.isEmpty && status == nil }

    /// The first value of `name` (case-insensitive).
    public subscript(name: String) -> String? {
        fields.first { Self.sameIgnoringASCIICase($0.name, name) }?.value
    }

    static func sameIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 97 && (x | 0x20) <= 122)
        }
    }

    public mutating func append(_ name: String, _ value: String) { fields.append((name, value)) }

    public static func == (a: NATSHeaders, b: NATSHeaders) -> Bool {
        a.status == b.status && a.statusDescription == b.statusDescription && a.fields.count == b.fields.count
            && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// The block as sent on the wire (CRLF line ends, terminated by an empty line). Names and values
    /// with CR or LF are cut at that character: a header never smuggles another line.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        appendEncoded(to: &out)
        return out
    }

    /// Appends the block to `out`, byte by byte (this runs once per published event).
    public func appendEncoded(to out: inout [UInt8]) {
        out += "NATS/1.0".utf8
        if let status {
            out += " \(status)".utf8
            if let d = statusDescription { out.append(32); Self.appendClean(d, to: &out) }
        }
        out += [13, 10]
        for f in fields {
            Self.appendClean(f.name, to: &out)
            out += [58, 32]
            Self.appendClean(f.value, to: &out)
            out += [13, 10]
        }
        out += [13, 10]
    }

    /// Appends `s`'s UTF-8 up to its first CR or LF.
    static func appendClean(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { u in
            var end = 0
            while end < u.count && u[end] != 13 && u[end] != 10 { end += 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[0..<end]))
        }
    }

    static func clean(_ s: String) -> String {
        var out: [UInt8] = []
        appendClean(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses a header block; a block not starting with `NATS/` is a protocol error. Works on the
    /// bytes (this runs for every message a worker fetches).
    public static func decode(_ bytes: some RandomAccessCollection<UInt8>) throws -> NATSHeaders {
        let b = Array(bytes)
        var lines: [Range<Int>] = []
        var i = 0
        while i < b.count {
            var j = i
            while j < b.count && b[j] != 10 { j += 1 }
            let end = j > i && b[j - 1] == 13 ? j - 1 : j
            lines.append(i..<end)
            i = j + 1
        }
        guard let first = lines.first, b[first].starts(with: "NATS/".utf8) else {
            throw NATSError.protocolViolation("header block without NATS/1.0 version line")
        }
        func trimmed(_ r: Range<Int>) -> String {
            var lo = r.lowerBound, hi = r.upperBound
            while lo < hi && (b[lo] == 32 || b[lo] == 9) { lo += 1 }
            while hi > lo && (b[hi - 1] == 32 || b[hi - 1] == 9) { hi -= 1 }
            return String(decoding: b[lo..<hi], as: UTF8.self)
        }
        var h = NATSHeaders()
        // Status line: NATS/1.0 [code [description]]
        var k = first.lowerBound
        while k < first.upperBound && b[k] != 32 { k += 1 }
        if k < first.upperBound {
            let rest = trimmed(k..<first.upperBound)
            let parts = rest.split(separator: " ", maxSplits: 1)
            if let p = parts.first, let code = Int(p) {
                h.status = code
                if parts.count == 2 { h.statusDescription = String(parts[1]) }
            }
        }
        for l in lines.dropFirst() where !l.isEmpty {
            guard let colon = b[l].firstIndex(of: 58) else { continue }
            h.fields.append((trimmed(l.lowerBound..<colon), trimmed((colon + 1)..<l.upperBound)))
        }
        return h
    }
}

#if canImport(Foundation)
import Foundation
#endif
