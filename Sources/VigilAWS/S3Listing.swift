import VigilCore
import VigilSources

/// `s3://bucket/prefix`, as given on the command line.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    public var prefix: String

    /// Nil when `url` is not an `s3://` URL with a bucket.
    public init?(_ url: String) {
        guard url.hasPrefix("s3://") else { return nil }
        let rest = url.dropFirst(5)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let b = parts.first, !b.isEmpty else { return nil }
        bucket = String(b)
        prefix = parts.count > 1 ? String(parts[1]) : ""
    }

    public var description: String { "s3://\(bucket)/\(prefix)" }
    public func name(of key: String) -> String { "s3://\(bucket)/\(key)" }
}

/// Which keys of a bucket to read, in the order they will be read, listing as little as it can.
///
/// CloudTrail's layouts are understood: `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`
/// and an organization trail's `AWSLogs/<org-id>/<account>/CloudTrail/…`, under any prefix the
/// trail was given. With a day range (`--since`/`--until`), the tree above the region level is
/// walked with a `/` delimiter (one short listing per level), and below it only the days in the
/// range are listed, so replaying one day of a five-year bucket lists one day per account and
/// region. Without a range, the prefix is listed whole. Digest files (`CloudTrail-Digest/`) are
/// not log records and are left out. Keys elsewhere in the bucket are kept when their name's time
/// (or, without one, nothing) says they are in the range.
///
/// The result is in the merge's order (``InputPlanner/order(_:)``: the time in the name, then key).
public struct S3Listing {
    public let client: S3Client
    public let location: S3Location
    /// Days since the epoch, inclusive; nil: every day.
    public let days: ClosedRange<Int>?
    /// List calls made (for `--stats` and the test that one day lists one day).
    public private(set) var calls = 0

    public init(client: S3Client, location: S3Location, days: ClosedRange<Int>?) {
        self.client = client
        self.location = location
        self.days = days
    }

    public mutating func keys() throws -> [S3Entry] {
        var out: [S3Entry] = []
        if days == nil {
            out = try listAll(location.prefix).filter { !Self.isDigest($0.key) }
        } else {
            try walk(location.prefix, depth: 0, into: &out)
        }
        let byKey = Dictionary(out.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        return InputPlanner.order(out.map(\.key)).map { byKey[$0]! }
    }

    private mutating func listAll(_ prefix: String) throws -> [S3Entry] {
        let (entries, n) = try client.listAll(prefix: prefix)
        calls += n
        return entries
    }

    private mutating func walk(_ prefix: String, depth: Int, into out: inout [S3Entry]) throws {
        if let regionLevel = Self.regionLevel(prefix), let days {
            for day in days {
                out += try listAll(Self.dayFolder(regionLevel, day))
            }
            return
        }
        if depth >= 8 || Self.insideRegion(prefix) {
            out += try listAll(prefix).filter { inRange($0.key) && !Self.isDigest($0.key) }
            return
        }
        var token: String?
        repeat {
            let page = try client.list(prefix: prefix, delimiter: "/", continuation: token)
            calls += 1
            out += page.entries.filter { inRange($0.key) }
            for p in page.prefixes where !Self.isDigest(p) { try walk(p, depth: depth + 1, into: &out) }
            token = page.continuation
        } while token != nil
    }

    func inRange(_ key: String) -> Bool {
        guard let days, let t = InputPlanner.nameTimeMillis(key) else { return true }
        return days.contains(Int(t.floorDiv(EventTime.day)))
    }

    /// A region level's folder of one day: `…/CloudTrail/us-east-1/2024/05/01/`.
    static func dayFolder(_ regionLevel: String, _ day: Int) -> String {
        let (y, m, d) = EventTime.civilFromDays(day)
        return regionLevel + digits(y, 4) + "/" + digits(m, 2) + "/" + digits(d, 2) + "/"
    }

    /// `v` in decimal, zero-padded to `width` (the key layout's `2024/05/01`).
    static func digits(_ v: Int, _ width: Int) -> String {
        let s = v.description
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    static func isDigest(_ key: String) -> Bool { key.contains("/CloudTrail-Digest/") || key.hasPrefix("CloudTrail-Digest/") }

    /// `…/CloudTrail/<region>/` (or `CloudTrail-Insight`) when `prefix` ends exactly there.
    static func regionLevel(_ prefix: String) -> String? {
        guard prefix.hasSuffix("/") else { return nil }
        let parts = prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard parts.count >= 2 else { return nil }
        let trail = parts[parts.count - 2]
        return trail == "CloudTrail" || trail == "CloudTrail-Insight" ? prefix : nil
    }

    /// Deeper than a region level (a year, a month or a day was given).
    static func insideRegion(_ prefix: String) -> Bool {
        let parts = prefix.split(separator: "/", omittingEmptySubsequences: false)
        guard let i = parts.lastIndex(where: { $0 == "CloudTrail" || $0 == "CloudTrail-Insight" }) else { return false }
        return parts.count - i > 3 || (parts.count - i == 3 && !parts[parts.count - 1].isEmpty)
    }
}

extension Int64 {
    /// Division rounding towards minus infinity (days before 1970 stay whole days).
    func floorDiv(_ d: Int64) -> Int64 { self >= 0 ? self / d : (self - d + 1) / d }
}
