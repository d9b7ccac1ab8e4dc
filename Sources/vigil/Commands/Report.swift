import ArgumentParser
import Foundation
import VigilCore
import VigilPipeline
import VigilReport
import VigilResponders

/// `vigil report`: one self-contained HTML page of an alerts file, with evidence and activity read
/// back from the logs through the same model as replay.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report of an alerts file: incidents, evidence timelines, activity against baselines.",
        discussion: """
        The page is one file that loads nothing (inline CSS and SVG, no script, a Content-Security-Policy of default-src 'none'), so it opens offline, on a phone, or from a case folder. Everything taken from the logs is escaped: a log line is attacker-controlled.

        It shows a summary (time span, events, principals, alerts and incidents by severity and ATT&CK tactic); each incident, most severe first, with its principal, actor chain when known, reasons in plain words and a timeline of its evidence events; and for each principal that alerted, its events per hour against the band its baseline expected, alerts marked, with the first-seen API, network, user agent and region that made it unusual.

        Give the log paths the alerts came from to see evidence and charts: they are read through the model as replay reads them (same --model, --rules, --sigma, --format and caps), detecting nothing new. Without paths the report shows the alerts alone.

        Personal data follows --redact pii as everywhere else: e-mail and IP addresses from the logs become the same keyed hashes the alerts carry (key: STATE/redact.key, or redact_key_file in --config; the report only reads it).

        Examples:
          vigil replay --alerts alerts.jsonl SampleLogs/logs && vigil report --alerts alerts.jsonl --out report.html SampleLogs/logs
          vigil report --alerts alerts.jsonl --out report.html --state /var/lib/vigil --redact pii /var/log/cloudtrail/
        """
    )

    @OptionGroup var engine: EngineOptions
    @OptionGroup(title: "Sigma rules") var sigmaRules: SigmaOptions

    @Option(help: ArgumentHelp("The alerts to report on: a vigil.alert/1 JSONL file, as written by replay or tail.", valueName: "path"))
    var alerts: String

    @Option(help: ArgumentHelp("Where to write the HTML page ('-' for stdout).", valueName: "path"))
    var out: String

    @Option(help: ArgumentHelp("State directory of the run that wrote the alerts: its redaction key is used with --redact pii (read only; nothing in it changes).", valueName: "dir"))
    var state: String?

    @Option(help: ArgumentHelp("YAML config as for replay: its redact, redact_key_file and sigma settings apply.", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("'pii': show e-mail and IP addresses from the logs as keyed hashes, as the alerts show them.", valueName: "pii"))
    var redact: String?

    @Argument(help: ArgumentHelp("The logs the alerts came from: files, directories, or '-' for stdin (optional).", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        if let r = redact, r != "pii" { throw ValidationError("--redact takes 'pii'") }
    }

    func run() throws {
        let redactor = try makeRedactor()
        guard let data = FileManager.default.contents(atPath: alerts) else { throw Failure(code: Exit.input, message: "cannot read alerts file \(alerts)") }
        let list: [ReportAlert]
        do { list = try ReportAlert.decodeLines(data) } catch { throw Failure(code: Exit.input, message: "\(alerts): \(error)") }
        let redactText: (String) -> String = redactor.map { r in { r.redact(text: $0) } } ?? { $0 }
        var collector: ReportCollector?
        if !paths.isEmpty {
            let c = ReportCollector(alerts: list, redact: redactText)
            let sigma = SigmaOptions.rules(try sigmaRules.catalog(extra: try SigmaOptions.configPaths(config)), quiet: engine.quiet)
            let e = try engine.makeEngine(extraRules: sigma)
            e.onEvent = { [unowned e] ev in c.observe(ev, usualPerHour: e.usualHourlyRate(of: ev.principal)) }
            try engine.run(e, paths: paths) { _ in }
            collector = c
        }
        let html = HTMLReport(alerts: list, collected: collector, inputs: [alerts] + paths).render()
        if out == "-" {
            FileHandle.standardOutput.write(Data(html.utf8))
        } else {
            // Whole or not at all (a half-written report would mislead), readable by its owner only:
            // it holds evidence from the logs.
            let tmp = out + ".tmp-\(getpid())"
            guard FileManager.default.createFile(atPath: tmp, contents: Data(html.utf8), attributes: [.posixPermissions: 0o600]),
                  rename(tmp, out) == 0 else {
                unlink(tmp)
                throw Failure(code: Exit.usage, message: "cannot write report to \(out): \(String(cString: strerror(errno)))")
            }
            if !engine.quiet {
                printError("vigil: report of \(list.count) alerts in \(Set(list.map(\.incident)).count) incidents written to \(out)")
            }
        }
    }

    /// `--redact pii` (or the config's redact): the key of the run that wrote the alerts, read only.
    func makeRedactor() throws -> PIIRedactor? {
        let cfg: ResponderConfig
        do { cfg = try config.map(ResponderConfig.load) ?? ResponderConfig() } catch { throw Failure.usage("\(error)") }
        guard let mode = redact ?? cfg.redact else { return nil }
        guard mode == "pii" else { throw Failure.usage("redact: '\(mode)' is not supported ('pii' is)") }
        guard let keyPath = cfg.redactKeyFile ?? state.map({ $0 + "/redact.key" }) else {
            throw Failure.usage("--redact pii needs the key the alerts were redacted with: --state DIR (DIR/redact.key) or redact_key_file in --config")
        }
        guard FileManager.default.fileExists(atPath: keyPath) else {
            throw Failure.usage("no redaction key at \(keyPath): give the --state directory of the run that wrote the alerts")
        }
        do { return PIIRedactor(key: try PIIRedactor.loadOrCreateKey(keyPath)) } catch { throw Failure.usage("\(error)") }
    }
}
