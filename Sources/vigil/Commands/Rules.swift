import ArgumentParser
import Foundation
import VigilCore
import VigilDetection
import VigilPipeline
import VigilResponders
import VigilSigma
import VigilSources

/// `vigil rules`: inspect the rules Vigil would run.
struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect detection rules (built-in and Sigma).",
        subcommands: [RulesCheck.self, RulesTest.self, RulesList.self, RulesRanges.self]
    )
}

/// `vigil rules check`: load every rule and say what loaded, what has no records here and what was
/// refused, with the reason.
struct RulesCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load the built-in rules and any Sigma rules and report, as JSON, what would run.",
        discussion: """
        Prints {"loaded": N, "no_source": N, "filtered": N, "refused": [{"path", "rule", "reason"}], "builtin_loaded": N, "sigma_rules": [{"id", "title", "author", "license", "level", "path"}]}. With --sigma, loaded, no_source, filtered and refused count Sigma rules only; no_source rules are for logsources Vigil has no records for; filtered ones are left out by --sigma-status or --sigma-min-level. Exit status 0 when nothing was refused, 2 otherwise.

        Sigma rules are the work of their authors; SigmaHQ's rules are published under the Detection Rule License 1.1, which asks that what a rule produces names the rule and its author: sigma_rules lists both, and every alert of a Sigma rule carries them in its reasons.

        Examples:
          vigil rules check
          vigil rules check --sigma ../shared/sigma/rules/cloud --sigma-status all
        """
    )

    @Option(help: ArgumentHelp("Built-in rules file (default: Models/rules.json, found as replay finds it).", valueName: "path"))
    var rules: String?

    @OptionGroup(title: "Sigma rules") var sigmaRules: SigmaOptions

    func run() throws {
        let builtin = try RulesLocator.load(explicit: rules)
        let catalog = try sigmaRules.catalog() ?? SigmaCatalog()
        func object(_ pairs: [(String, String)]) -> String {
            "{" + pairs.map { JSONText.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
        }
        let q = JSONText.quoted
        let refused = catalog.refused.map { object([("path", q($0.path)), ("rule", q($0.rule)), ("reason", q($0.reason))]) }
        let listed = catalog.rules.map {
            object([("id", q($0.id)), ("title", q($0.title)), ("author", q($0.author)), ("license", q($0.license)),
                    ("level", q($0.level.name)), ("path", q($0.path))])
        }
        let text = object([("loaded", String(catalog.rules.count)), ("no_source", String(catalog.noSource.count)),
                           ("filtered", String(catalog.filtered.count)), ("refused", "[" + refused.joined(separator: ",") + "]"),
                           ("builtin_loaded", String(builtin.rules.count)), ("sigma_rules", "[" + listed.joined(separator: ",") + "]")])
        print(text)
        if !catalog.refused.isEmpty { throw ExitCode(2) }
    }
}

/// `vigil rules test`: which Sigma rules match each event of some logs, with nothing in between.
struct RulesTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Print, for each event of the inputs, the Sigma rules whose detection matches it.",
        discussion: """
        Reads the inputs as replay does (formats, the Contract's duplicate removal, dead letters), evaluates every loaded Sigma rule on every event and prints one JSON line per event that a rule matches: {"input", "line", "event", "rules": ["sigma:<id>", ...]}. Nothing is folded or deduplicated per principal, so this is the tool to check a rule on sample records, or to compare Vigil's Sigma semantics with another engine's. --all prints events that match nothing too.

        Examples:
          vigil rules test --sigma my-rules/ trail.jsonl
          vigil rules test --sigma ../shared/sigma/rules --sigma-status all --all fixtures.jsonl
        """
    )

    @OptionGroup(title: "Sigma rules") var sigmaRules: SigmaOptions

    @Option(help: ArgumentHelp("Input format, as for replay: auto or one format name.", valueName: "format"))
    var format: String = "auto"

    @Flag(help: "Print every event, also those no rule matches (rules: []).")
    var all = false

    @Argument(help: ArgumentHelp("Files, directories, or '-' for stdin.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        guard format == "auto" || SourceFormat(rawValue: format) != nil else { throw ValidationError("--format \(format) is not supported") }
        if sigmaRules.sigma.isEmpty { throw ValidationError("give the rules to test with --sigma PATH") }
    }

    func run() throws {
        guard let catalog = try sigmaRules.catalog() else { return }
        _ = SigmaOptions.rules(catalog, quiet: false)
        let engine = try Engine(config: EngineConfig(), rules: RuleSet(rules: catalog.vigilRules))
        engine.format = SourceFormat(rawValue: format)
        let out = try LineWriter(path: "-")
        let rules = catalog.rules
        var failure: Error?
        engine.onEvent = { e in
            var record = SigmaRecord(raw: e.raw)
            let matched = rules.filter { $0.sees(e.source, &record) && $0.holds(&record) }.map { "sigma:" + $0.id }
            guard all || !matched.isEmpty else { return }
            let line = "{\"input\":\(JSONText.quoted(e.position.input)),\"line\":\(e.position.line),\"event\":\(JSONText.quoted(e.id)),\"rules\":["
                + matched.map(JSONText.quoted).joined(separator: ",") + "]}"
            do { try out.write(line) } catch { failure = error }
        }
        try engine.run(try InputPlanner.expand(paths), emit: { _ in }, deadLetter: { _ in })
        if let f = failure { throw f }
        try out.flush()
    }
}

/// `vigil rules ranges`: AWS's `ip-ranges.json` as the compact, dated copy Vigil ships.
struct RulesRanges: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ranges",
        abstract: "Print AWS's published address ranges in the compact form of Models/aws-ip-ranges.txt.",
        discussion: """
        Reads ip-ranges.json exactly as AWS publishes it (or a compact copy), merges overlapping and adjacent blocks and prints one first-last interval per line under a comment naming the file's createDate and syncToken. Vigil reads either form with --aws-ranges, so this only makes the shipped copy smaller; the README says when to refresh it.

        Examples:
          curl -sO https://ip-ranges.amazonaws.com/ip-ranges.json
          vigil rules ranges ip-ranges.json > Models/aws-ip-ranges.txt
        """
    )

    @Argument(help: ArgumentHelp("ip-ranges.json as published by AWS, or a compact copy.", valueName: "path"))
    var path: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(code: Exit.input, message: "cannot read \(path)") }
        let ranges: AddressRanges
        do {
            ranges = try AddressRanges.parse(Array(data))
        } catch {
            throw Failure.usage("\(path): \(error)")
        }
        var out = "# \(ranges.about)\n"
        out += "# \(ranges.ipv4Intervals) IPv4 and \(ranges.ipv6Intervals) IPv6 intervals (first-last, inclusive), merged by vigil rules ranges\n"
        out += ranges.intervalLines().joined(separator: "\n") + "\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

/// `vigil rules list`: the built-in rules as a Markdown table (docs/rules.md is its output).
struct RulesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the built-in rules as a Markdown table: what each watches, its severity, and whether it fires on failed calls.",
        discussion: """
        One row per rule of the rules file, in file order: id, severity, ATT&CK techniques, the actions it watches (or the principal types, or "any call"), when it fires (a threshold within a window, the principal's first use only), and what a failed call does: "attempt, one lower" (rules with attempts: a failed call fires one severity step lower, naming its error code), "any outcome", "failures only" or "no". docs/rules.md is this command's output for Models/rules.json.

        Example:
          vigil rules list > docs/rules.md
        """
    )

    @Option(help: ArgumentHelp("Built-in rules file (default: Models/rules.json, found as replay finds it).", valueName: "path"))
    var rules: String?

    func run() throws {
        let set = try RulesLocator.load(explicit: rules)
        var out = "# Built-in rules\n\n"
        out += "`Models/rules.json`, \(set.rules.count) rules, as `vigil rules list` prints them. On failed calls: *attempt, one lower* — a failed "
        out += "call fires too, one severity step lower, titled \"Attempted: …\" with its error code; *any outcome* — failed or not, same "
        out += "severity; *failures only*; *no* — only successful calls count.\n\n"
        out += "| Rule | Severity | ATT&CK | Watches | Fires | On failed calls |\n|---|---|---|---|---|---|\n"
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        for r in set.rules {
            var watches = r.actions.isEmpty ? "any call" : r.actions.map { "`\($0)`" }.joined(separator: ", ")
            if !r.principalTypes.isEmpty { watches += " by " + r.principalTypes.joined(separator: ", ") }
            if r.condition != nil { watches += ", with conditions" }
            var fires = r.threshold > 1 ? "\(r.threshold) in \(EventTime.describe(r.window))" : "each match"
            if r.firstUse { fires += ", the principal's first use only" }
            let failures = r.attempts ? "attempt, one lower" : (r.outcome == "any" ? "any outcome" : (r.outcome == "failure" ? "failures only" : "no"))
            out += "| `\(r.id)` — \(cell(r.title)) | \(r.severity.name) | \(r.attack.joined(separator: ", ")) | \(cell(watches)) | \(fires) | \(failures) |\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
