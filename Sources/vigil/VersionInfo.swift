import Foundation

/// `vigil --version`: the release and the git commit the binary was built from.
///
/// Why read the commit from files: Swift has no build-time string defines, and running `git` on
/// every start would be slow and surprising. An installed binary reads `share/vigil/COMMIT`, which
/// `make install` writes; a binary inside a checkout (`.build/...`) reads that checkout's `.git`.
enum VersionInfo {
    static let version = "0.18.0"

    static var line: String { "vigil \(version) (commit \(commit ?? "unknown"))" }

    static var commit: String? {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let installed = exe.deletingLastPathComponent().appendingPathComponent("share/vigil/COMMIT").path
        if let c = read(installed) { return c }
        var dir = exe
        for _ in 0..<8 {
            let git = dir.appendingPathComponent(".git").path
            if let head = read(git + "/HEAD") {
                guard head.hasPrefix("ref: ") else { return String(head.prefix(12)) }
                let ref = String(head.dropFirst(5))
                if let c = read(git + "/" + ref) { return String(c.prefix(12)) }
                let packed = read(git + "/packed-refs") ?? ""
                for l in packed.split(separator: "\n") where l.hasSuffix(" " + ref) { return String(l.prefix(12)) }
                return nil
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    private static func read(_ path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        let s = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
