import ArgumentParser
import VigilCore

/// `vigil replay`: run archives through the engine and print explained alerts.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay log files, directories or stdin and emit alerts.",
        discussion: """
        On a terminal a progress line (bytes, events/s, ETA) is shown on stderr; --quiet or a non-terminal stderr turns it off.

        Inputs are files, directories (walked recursively; CloudTrail objects ordered by the time in their names) and '-' for stdin. gzip (multi-member) and zstd are recognised by their magic bytes. Formats are recognised per record (CloudTrail JSON lines or {"Records":[...]} files, GCP audit, Azure Activity/Entra/Storage, S3 access logs); see --format.

        Examples:
          vigil replay SampleLogs/logs
          vigil replay --output text --dead-letter bad.jsonl --stats stats.json logs/
          zcat trail.json.gz | vigil replay -
        """
    )

    @OptionGroup var engine: EngineOptions
    @OptionGroup var out: AlertOptions

    @Argument(help: ArgumentHelp("Files, directories, or '-' for stdin.", valueName: "path"))
    var paths: [String]

    func run() throws {
        let e = try engine.makeEngine()
        let w = try out.writer(defaultStdout: true)
        let progress = ProgressLine.make(quiet: engine.quiet, paths: paths)
        e.onProgress = progress.map { p in { bytes, events in p.update(bytes: bytes, events: events) } }
        defer { progress?.finish() }
        try engine.run(e, paths: paths) { a in try w?.write(out.render(a)) }
        try w?.flush()
    }
}
