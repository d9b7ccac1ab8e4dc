import Foundation
import VigilCore
import VigilDetection

/// Every Sigma rule under some paths, loaded, with what was left out and why.
///
/// Why a catalog: `--sigma DIR` may hold hundreds of files; users need to see how many run, how
/// many have no records here and which were refused, never a silent skip. Directories are walked
/// recursively for `.yml`/`.yaml` files in path order, so the rule order (and alert order) is the
/// same on every machine. A rule id seen twice is refused the second time.
public struct SigmaCatalog: Sendable {
    public var rules: [SigmaRule] = []
    public var noSource: [(path: String, rule: String, logsource: String)] = []
    public var filtered: [(path: String, rule: String, why: String)] = []
    public var refused: [SigmaRefusal] = []

    public init() {}

    /// Loads `paths` (files or directories). Unreadable paths are refusals too.
    public static func load(paths: [String], loader: SigmaLoader) -> SigmaCatalog {
        var c = SigmaCatalog()
        var seen = Set<String>()
        for file in files(paths, &c) {
            guard let data = FileManager.default.contents(atPath: file) else {
                c.refused.append(SigmaRefusal(path: file, rule: "-", reason: "cannot read the file"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                c.refused.append(SigmaRefusal(path: file, rule: "-", reason: "not UTF-8 text"))
                continue
            }
            switch loader.load(path: file, yaml: text) {
            case .loaded(let r):
                if seen.insert(r.id).inserted { c.rules.append(r) } else {
                    c.refused.append(SigmaRefusal(path: file, rule: r.id, reason: "another loaded rule has the same id"))
                }
            case .noSource(let p, let r, let l): c.noSource.append((p, r, l))
            case .filtered(let p, let r, let w): c.filtered.append((p, r, w))
            case .refused(let r): c.refused.append(r)
            }
        }
        return c
    }

    static func files(_ paths: [String], _ c: inout SigmaCatalog) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                c.refused.append(SigmaRefusal(path: p, rule: "-", reason: "no such file or directory"))
                continue
            }
            guard isDir.boolValue else { out.append(p); continue }
            var found: [String] = []
            if let walker = fm.enumerator(atPath: p) {
                for case let rel as String in walker where rel.hasSuffix(".yml") || rel.hasSuffix(".yaml") {
                    found.append((p as NSString).appendingPathComponent(rel))
                }
            }
            out += found.sorted()
        }
        return out
    }

    /// The loaded rules as Vigil rules, to append to the built-in rule set.
    public var vigilRules: [Rule] { rules.map { Rule(sigma: $0) } }
}
