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
        let n = name.lowercased()
        return fields.first { $0.name.lowercased() == n }?.value
    }

    public mutating func append(_ name: String, _ value: String) { fields.append((name, value)) }

    public static func == (a: NATSHeaders, b: NATSHeaders) -> Bool {
        a.status == b.status && a.statusDescription == b.statusDescription && a.fields.count == b.fields.count
            && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// The block as sent on the wire (CRLF line ends, terminated by an empty line). Names and values
    /// with CR or LF are cut at that character: a header never smuggles another line.
    public func encoded() -> [UInt8] {
        var s = "NATS/1.0"
        if let status { s += " \(status)" + (statusDescription.map { " " + $0 } ?? "") }
        s += "\r\n"
        for f in fields { s += Self.clean(f.name) + ": " + Self.clean(f.value) + "\r\n" }
        return Array((s + "\r\n").utf8)
    }

    static func clean(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix { $0 != "\r" && $0 != "\n" }))
    }

    /// Parses a header block; a block not starting with `NATS/` is a protocol error.
    public static func decode(_ bytes: [UInt8]) throws -> NATSHeaders {
        // Split on the bytes: as a Swift String, "\r\n" is one Character and would not split on "\n".
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { l -> Substring in
            let line = l.last == 13 ? l.dropLast() : l[...]
            return Substring(String(decoding: line, as: UTF8.self))
        }
        guard let first = lines.first, first.hasPrefix("NATS/") else {
            throw NATSError.protocolViolation("header block without NATS/1.0 version line")
        }
        var h = NATSHeaders()
        let statusParts = first.split(separator: " ", maxSplits: 2)
        if statusParts.count >= 2, let code = Int(statusParts[1]) {
            h.status = code
            if statusParts.count == 3 { h.statusDescription = String(statusParts[2]) }
        }
        lines.removeFirst()
        for l in lines where !l.isEmpty {
            guard let colon = l.firstIndex(of: ":") else { continue }
            let name = String(l[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(l[l.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            h.fields.append((name, value))
        }
        return h
    }
}

#if canImport(Foundation)
import Foundation
#endif
