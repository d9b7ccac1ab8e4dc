import ArgumentParser
import Foundation
import VigilPipeline

/// `vigil eval`: replay labelled logs and report recall and false incidents.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure detection against labels: recall by scenario and false incidents.",
        discussion: """
        Labels are CSV with header eventID,label,scenario (label attack or benign; unlisted events are benign). A scenario is detected when one of its attack events is among some alert's evidence; an incident whose alerts' evidence holds no attack event is a false incident; false_incidents_per_1000 = 1000 × false incidents / benign events. The JSON summary goes to stdout; alerts only with --alerts.

        Example:
          vigil eval --labels SampleLogs/labels.csv SampleLogs/logs
        """
    )

    @OptionGroup var engine: EngineOptions
    @OptionGroup(title: "Sigma rules") var sigmaRules: SigmaOptions
    @OptionGroup var out: AlertOptions

    @Option(help: ArgumentHelp("Labels CSV (eventID,label,scenario).", valueName: "path"))
    var labels: String

    @Argument(help: ArgumentHelp("Files, directories, or '-' for stdin.", valueName: "path"))
    var paths: [String]

    func run() throws {
        guard let data = FileManager.default.contents(atPath: labels) else {
            throw Failure(code: Exit.input, message: "cannot read labels file \(labels)")
        }
        var text = String(decoding: data, as: UTF8.self)
        if labels.hasSuffix(".zst") || data.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            text = String(decoding: try DecompressAll.bytes(Array(data)), as: UTF8.self)
        }
        var evaluation = Evaluation(labels: try Labels.parse(text))
        let sigma = SigmaOptions.rules(try sigmaRules.catalog(extra: []), quiet: engine.quiet)
        let e = try engine.makeEngine(extraRules: sigma)
        e.onEvent = { evaluation.observe($0) }
        let w = try out.writer(defaultStdout: false)
        try engine.run(e, paths: paths) { a in
            evaluation.add(a)
            try w?.write(out.render(a))
        }
        try w?.flush()
        print(evaluation.report(events: e.stats.events))
    }
}
