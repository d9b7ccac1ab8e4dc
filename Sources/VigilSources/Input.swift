import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One input to read: a file, standard input, or an object in a store (an S3 object).
public enum Input: Sendable, Hashable {
    case stdin
    case file(String)
    case object(RemoteObject)

    /// The name used in dead letters and evidence positions (`s3://bucket/key` for an object).
    public var name: String {
        switch self {
        case .stdin: return "-"
        case .file(let p): return p
        case .object(let o): return o.name
        }
    }
}

/// Expands command-line paths into the list of inputs to replay.
///
/// A directory's files are sorted by the time in their names where the format has one
/// (CloudTrail's `_YYYYMMDDTHHMMZ_`), otherwise by path; files with a time come first in time order,
/// ties broken by path. (Replay then merges several inputs by event time, so this order only
/// matters to readers of the list.) Hidden files (dot-names) are skipped. O(n log n) in the number
/// of files.
public enum InputPlanner {
    public static func expand(_ paths: [String]) throws(SourceError) -> [Input] {
        var out: [Input] = []
        for p in paths {
            if p == "-" { out.append(.stdin); continue }
            var st = stat()
            guard stat(p, &st) == 0 else { throw .notFound(p) }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                var files: [String] = []
                try walk(p, into: &files)
                out.append(contentsOf: order(files).map { .file($0) })
            } else {
                out.append(.file(p))
            }
        }
        return out
    }

    /// Sorts paths by the CloudTrail time in the file name, then by path.
    public static func order(_ files: [String]) -> [String] {
        files.map { (nameTime($0), $0) }.sorted { a, b in
            switch (a.0, b.0) {
            case let (x?, y?): return x != y ? x < y : a.1 < b.1
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return a.1 < b.1
            }
        }.map { $0.1 }
    }

    /// `YYYYMMDDTHHMM` from a CloudTrail object name such as
    /// `123456789012_CloudTrail_us-east-1_20240501T0310Z_abcd.json.gz`, as a sortable integer.
    public static func nameTime(_ path: String) -> Int64? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let b = Array(name.utf8)
        guard b.count >= 15 else { return nil }
        var i = 0
        while i + 15 <= b.count {
            if b[i] == 95, b[i + 9] == 84, b[i + 14] == 90 || b[i + 14] == 95 {   // _ … T … Z
                var v: Int64 = 0
                var ok = true
                for k in (i + 1)...(i + 13) where k != i + 9 {
                    let c = b[k]
                    guard c >= 48 && c <= 57 else { ok = false; break }
                    v = v * 10 + Int64(c - 48)
                }
                if ok { return v }
            }
            i += 1
        }
        return nil
    }

    /// The time in a CloudTrail object's name (`…_20240501T0310Z_…`) in ms since the epoch, UTC.
    public static func nameTimeMillis(_ path: String) -> Int64? {
        guard let v = nameTime(path) else { return nil }
        let minute = Int(v % 100), hour = Int(v / 100 % 100), day = Int(v / 10_000 % 100)
        let month = Int(v / 1_000_000 % 100), year = Int(v / 100_000_000)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60 else { return nil }
        let days = Int64(EventTime.daysFromCivil(year, month, day))
        return days * EventTime.day + Int64(hour) * EventTime.hour + Int64(minute) * EventTime.minute
    }

    /// The visible entries of `dir` (dot-names skipped) as full paths, sorted by name; nil when the
    /// directory cannot be read.
    static func entries(_ dir: String) -> [String]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        return names.sorted().map { dir.hasSuffix("/") ? dir + $0 : dir + "/" + $0 }
    }

    private static func walk(_ dir: String, into files: inout [String]) throws(SourceError) {
        guard let paths = entries(dir) else { throw .unreadable(dir, errno: errno) }
        for path in paths {
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try walk(path, into: &files)
            } else if (st.st_mode & S_IFMT) == S_IFREG {
                files.append(path)
            }
        }
    }
}
