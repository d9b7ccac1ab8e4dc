import Foundation
import VigilCore
import VigilSources

/// Follows a bucket for new objects (`vigil tail s3://BUCKET/PREFIX`): each poll lists, per
/// followed folder, only the keys after the last one taken.
///
/// Folders are CloudTrail's region levels (`…/CloudTrail/<region>/`), found by walking the prefix
/// with a `/` delimiter as ``S3Listing`` does, and found again every `rediscoverEvery` polls so a
/// new account or region is picked up; a prefix that is not in CloudTrail's layout is one folder.
/// Keys in a region folder sort by day and then by the time in their names, so "after the last
/// key" is `StartAfter`, and a poll lists only the days from the last key's to today (the wall
/// clock chooses which folders to list, never what is detected).
///
/// Where a followed folder starts: after the key a checkpoint recorded (``cursor(after:begun:)``),
/// else at today's newest object (only what arrives from now on), or with `fromStart` from the
/// first day (`since`) or the beginning.
public final class S3Follower {
    public let client: S3Client
    public let location: S3Location
    private let since: Int?
    private let fromStart: Bool
    private var folders: [String] = []
    /// Where a folder's next listing starts: after a key (exclusive), from a day (region levels).
    struct Cursor: Equatable {
        var after: String?
        var fromDay: Int?
    }
    private var cursors: [String: Cursor] = [:]
    private var polls = 0
    public var rediscoverEvery = 10
    /// List calls so far (for `--stats`; bounded per poll by the folders and days followed).
    public private(set) var listCalls = 0
    /// Where a checkpoint said each folder was, waiting for the folder to be found.
    private var restored: [String: Cursor] = [:]

    public init(client: S3Client, location: S3Location, since: Int?, fromStart: Bool) {
        self.client = client
        self.location = location
        self.since = since
        self.fromStart = fromStart
    }

    static func day(of key: String) -> Int? { InputPlanner.nameTimeMillis(key).map { Int($0 / EventTime.day) } }

    /// Where to start after a restart: `done` and `begun` are the object names a checkpoint holds
    /// under this location. A folder resumes after its last done key, unless an object of it was
    /// begun and not finished: then after the last done key before that one (or from that
    /// object's day), so it is listed again and resumes.
    public func restore(done: [String], begun: [String]) {
        let strip = location.name(of: "")
        let (lastDone, firstBegun) = Self.positions(done: done.map { String($0.dropFirst(strip.count)) },
                                                    begun: begun.map { String($0.dropFirst(strip.count)) })
        for f in Set(firstBegun.keys).union(lastDone.keys) {
            let after = lastDone[f]
            restored[f] = Cursor(after: after, fromDay: after.flatMap(Self.day) ?? firstBegun[f].flatMap(Self.day))
        }
    }

    /// Per folder: the first object begun and not finished, and the last one done before it (or
    /// the last done, when none is half read). What a restart resumes from, and all a checkpoint
    /// needs to keep of the objects done (``StateSession/forgetObjects(_:)`` drops the rest).
    public static func positions(done: [String], begun: [String]) -> (lastDone: [String: String], firstBegun: [String: String]) {
        var firstBegun: [String: String] = [:]
        for b in begun {
            let f = folder(of: b)
            if firstBegun[f].map({ b < $0 }) ?? true { firstBegun[f] = b }
        }
        var lastDone: [String: String] = [:]
        for d in done {
            let f = folder(of: d)
            if let limit = firstBegun[f], d >= limit { continue }
            if lastDone[f].map({ d > $0 }) ?? true { lastDone[f] = d }
        }
        return (lastDone, firstBegun)
    }

    /// The folder a key belongs to: its region level, else its parent folder.
    public static func folder(of key: String) -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        if let i = parts.lastIndex(where: { $0 == "CloudTrail" || $0 == "CloudTrail-Insight" }), i + 1 < parts.count - 1 {
            return parts[...(i + 1)].joined(separator: "/") + "/"
        }
        return parts.dropLast().joined(separator: "/") + (parts.count > 1 ? "/" : "")
    }

    /// The keys that arrived since the last poll, in the merge's order.
    public func poll(today: Int = Int(Date().timeIntervalSince1970 * 1000) / Int(EventTime.day)) throws -> [S3Entry] {
        if polls % rediscoverEvery == 0 { try discover(today: today) }
        polls += 1
        var out: [S3Entry] = []
        for f in folders {
            let c = cursors[f] ?? Cursor()
            var got: [S3Entry] = []
            if S3Listing.regionLevel(f) != nil, let first = c.fromDay {
                for day in first...max(first, today) { got += try listAll(S3Listing.dayFolder(f, day), after: c.after) }
            } else {
                got = try listAll(f, after: c.after)
            }
            got.removeAll { S3Listing.isDigest($0.key) }
            if let k = got.map(\.key).max(), k > (c.after ?? "") {
                cursors[f] = Cursor(after: k, fromDay: Self.day(of: k) ?? c.fromDay)
            }
            out += got
        }
        let byKey = Dictionary(out.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        return InputPlanner.order(Array(byKey.keys)).map { byKey[$0]! }
    }

    private func listAll(_ prefix: String, after: String?) throws -> [S3Entry] {
        let (entries, n) = try client.listAll(prefix: prefix, startAfter: after.flatMap { $0.isEmpty ? nil : $0 })
        listCalls += n
        return entries
    }

    /// Finds the folders under the location. A folder found at start begins at its newest object
    /// (or, with `fromStart`, at `since` or its beginning); one that appears while following (a new
    /// account or region) is new from yesterday on; a checkpoint's folders resume where they were.
    private func discover(today: Int) throws {
        var found: [String] = []
        try walk(location.prefix, depth: 0, into: &found)
        for f in found where !folders.contains(f) {
            folders.append(f)
            if let r = restored.removeValue(forKey: f) {
                cursors[f] = r
            } else if fromStart {
                cursors[f] = Cursor(after: nil, fromDay: since)
            } else if polls > 0 {
                cursors[f] = Cursor(after: nil, fromDay: today - 1)
            } else {
                let newest = try newestKey(f, today: today)
                cursors[f] = Cursor(after: newest, fromDay: newest.flatMap(Self.day) ?? today)
            }
        }
    }

    private func newestKey(_ folder: String, today: Int) throws -> String? {
        if S3Listing.regionLevel(folder) != nil {
            for day in [today, today - 1] {
                if let k = try listAll(S3Listing.dayFolder(folder, day), after: nil).map(\.key).max() { return k }
            }
            return nil
        }
        return try listAll(folder, after: nil).map(\.key).max()
    }

    private func walk(_ prefix: String, depth: Int, into out: inout [String]) throws {
        if S3Listing.regionLevel(prefix) != nil || S3Listing.insideRegion(prefix) || depth >= 8 {
            out.append(prefix)
            return
        }
        let page = try client.list(prefix: prefix, delimiter: "/")
        listCalls += 1
        if !page.entries.isEmpty || page.prefixes.isEmpty || page.continuation != nil {
            out.append(prefix)   // not CloudTrail's layout here: followed as one folder
            return
        }
        for p in page.prefixes where !S3Listing.isDigest(p) { try walk(p, depth: depth + 1, into: &out) }
    }
}
