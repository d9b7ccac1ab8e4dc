import ArgumentParser
import Foundation
import VigilCore
import VigilDetection
import VigilResponders
import VigilSigma

/// `--sigma` and its filters, shared by `replay`, `tail`, `eval` and `rules check`.
struct SigmaOptions: ParsableArguments {
    @Option(name: .customLong("sigma"), help: ArgumentHelp("Run Sigma rules from this file or directory (repeatable; directories are walked for .yml/.yaml). They fire beside the built-in rules, as alerts with rule 'sigma:<id>'; a rule for a logsource Vigil has no records for (Google Workspace, Entra risk detections, PIM) is counted as no_source. See 'vigil rules check'.", valueName: "path"))
    var sigma: [String] = []

    @Option(name: .customLong("sigma-min-level"), help: ArgumentHelp("Run only Sigma rules of this level or above: informational, low, medium, high, critical.", valueName: "level"))
    var minLevel: String = "informational"

    @Option(name: .customLong("sigma-status"), help: ArgumentHelp("Run only Sigma rules of these statuses (comma-separated: stable, test, experimental, deprecated, unsupported), or 'all'.", valueName: "list"))
    var status: String = "stable,test"

    @Option(name: .customLong("sigma-logsources"), help: ArgumentHelp("Logsource and field mapping for Sigma rules (default: Models/sigma/logsources.json, found as the rules file is).", valueName: "path"))
    var logsources: String?

    static let statuses: Set<String> = ["stable", "test", "experimental", "deprecated", "unsupported"]

    func validate() throws {
        guard severity != nil else { throw ValidationError("--sigma-min-level must be informational, low, medium, high or critical") }
        if status != "all" {
            for s in statusList where !Self.statuses.contains(s) {
                throw ValidationError("--sigma-status: unknown status '\(s)' (use \(Self.statuses.sorted().joined(separator: ", ")) or all)")
            }
        }
    }

    var severity: Severity? { minLevel.lowercased() == "informational" ? .info : Severity(name: minLevel) }
    var statusList: [String] { status.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
    var filter: SigmaFilter { SigmaFilter(statuses: status == "all" ? nil : Set(statusList), minLevel: severity ?? .info) }

    /// Loads the rules of `--sigma` plus `extra` (the config file's `sigma`); nil when there are none.
    func catalog(extra: [String] = []) throws -> SigmaCatalog? {
        let paths = sigma + extra
        guard !paths.isEmpty else { return nil }
        let mapPath = try ModelFile.locate(logsources, relative: "Models/sigma/logsources.json", env: "VIGIL_SIGMA_LOGSOURCES")
        guard let data = FileManager.default.contents(atPath: mapPath) else { throw Failure.usage("cannot read Sigma logsources file \(mapPath)") }
        let map: SigmaLogsources
        do { map = try SigmaLogsources.load(json: data) } catch { throw Failure.usage("\(mapPath): \(error)") }
        return SigmaCatalog.load(paths: paths, loader: SigmaLoader(logsources: map, filter: filter))
    }

    /// The config file's `sigma` paths, relative ones taken from the config's directory.
    static func configPaths(_ config: String?) throws -> [String] {
        guard let c = config else { return [] }
        let cfg: ResponderConfig
        do { cfg = try ResponderConfig.load(c) } catch { throw Failure.usage("\(error)") }
        let dir = (c as NSString).deletingLastPathComponent
        return cfg.sigma.map { $0.hasPrefix("/") || dir.isEmpty ? $0 : (dir as NSString).appendingPathComponent($0) }
    }

    /// The Vigil rules of the catalog, after telling the user on stderr what loaded and what did not.
    static func rules(_ c: SigmaCatalog?, quiet: Bool) -> [Rule] {
        guard let c else { return [] }
        if !quiet {
            var msg = "vigil: sigma: \(c.rules.count) rules loaded"
            if !c.noSource.isEmpty { msg += ", \(c.noSource.count) for logsources Vigil has no records for" }
            if !c.filtered.isEmpty { msg += ", \(c.filtered.count) left out by --sigma-status/--sigma-min-level" }
            if !c.refused.isEmpty { msg += ", \(c.refused.count) refused ('vigil rules check' says why)" }
            printError(msg)
            for r in c.refused.prefix(5) { printError("vigil: sigma: refused \(r.path): \(r.reason)") }
        }
        return c.vigilRules
    }
}

/// Finds a file under `Models/`: explicit path, an environment variable, an installation
/// (`PREFIX/share/vigil/Models/…` beside `PREFIX/bin/vigil`, as `make install` lays it out), beside
/// the binary's checkout (a `.build/...` binary), or in the current directory.
enum ModelFile {
    static func locate(_ explicit: String?, relative: String, env: String) throws -> String {
        if let e = explicit { return e }
        if let v = ProcessInfo.processInfo.environment[env], !v.isEmpty { return v }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let installed = dir.deletingLastPathComponent().appendingPathComponent("share/vigil").appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: installed) { return installed }
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        if FileManager.default.fileExists(atPath: relative) { return relative }
        throw Failure.usage("no \(relative) found: pass its path or set \(env)")
    }
}
