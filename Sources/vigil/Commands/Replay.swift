import ArgumentParser
import VigilCore

/// `vigil replay`: run archives through the engine and print explained alerts.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay log files, directories or stdin and emit alerts.",
        discussion: """
        On a terminal a progress line (bytes, events/s, ETA) is shown on stderr; --quiet or a non-terminal stderr turns it off.

        Inputs are files, directories (walked recursively; CloudTrail objects ordered by the time in their names), '-' for stdin, and s3://BUCKET/PREFIX: the bucket is listed in key order (CloudTrail's AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/ layout and organization trails understood; --since/--until list only those days), objects are fetched several at once (--fetch-ahead) and merged by event time as files are, so the alerts equal a replay of the same objects downloaded. Credentials, region and endpoint come from the AWS SDKs' standard chain (AWS_* variables, ~/.aws files with AWS_PROFILE, web identity, container, instance metadata); see the README for the IAM policy. gzip (multi-member) and zstd are recognised by their magic bytes. Formats are recognised per record (CloudTrail JSON lines or {"Records":[...]} files, GCP audit, Azure Activity/Entra/Storage, S3 access logs); see --format.

        With --state DIR a long backfill can be stopped (Ctrl-C, SIGTERM: a checkpoint is written) or killed and resumed by running the same command again: files read to their end are skipped, the one in progress resumes at its last processed record, and --alerts FILE is cut back to what the checkpoint covers, so every alert is in it exactly once. Standard input cannot be resumed.

        Examples:
          vigil replay SampleLogs/logs
          vigil replay --output text --dead-letter bad.jsonl --stats stats.json logs/
          zcat trail.json.gz | vigil replay -
          vigil replay --state /var/lib/vigil/backfill --alerts alerts.jsonl archive/
          AWS_PROFILE=audit vigil replay --since 2024-05-01 --until 2024-05-07 s3://org-trail/AWSLogs/
        """
    )

    @OptionGroup var engine: EngineOptions
    @OptionGroup(title: "Sigma rules") var sigmaRules: SigmaOptions
    @OptionGroup var out: AlertOptions
    @OptionGroup var state: StateOptions
    @OptionGroup(title: "Date ranges and object stores") var listing: ListingOptions
    @OptionGroup var respond: ResponderOptions

    @Flag(name: .customLong("parse-only"), help: "Only read, frame and parse: count events and dead letters (see --stats, --dead-letter), detect nothing. To check that an archive parses, or to measure the reading half alone.")
    var parseOnly = false

    @Option(help: ArgumentHelp("With --shards: detect only the events of this shard (0…N-1), stitching identities over every event; the alerts 'vigil worker --shard K' gives behind 'vigil route'.", valueName: "k"))
    var shard: Int?

    @Option(help: ArgumentHelp("Shard count for --shard.", valueName: "n"))
    var shards: Int?

    @Argument(help: ArgumentHelp("Files, directories, '-' for stdin, or s3://BUCKET/PREFIX.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        if (shard == nil) != (shards == nil) { throw ValidationError("--shard and --shards go together") }
        if let n = shards, let k = shard {
            guard (1...1024).contains(n) else { throw ValidationError("--shards must be 1…1024") }
            guard (0..<n).contains(k) else { throw ValidationError("--shard must be 0…\(n - 1) for --shards \(n)") }
        }
        if parseOnly && state.state != nil {
            throw ValidationError("--parse-only learns nothing, so it cannot write a --state checkpoint")
        }
    }

    func run() throws {
        if state.state != nil { Signals.install() }
        let session = try state.open()
        let sigma = SigmaOptions.rules(try sigmaRules.catalog(extra: try SigmaOptions.configPaths(respond.config)), quiet: engine.quiet)
        let e = try engine.makeEngine(session: session, extraRules: sigma)
        e.parseOnly = parseOnly
        if let k = shard, let n = shards { e.shardFilter = (k, n) }
        let w = try out.writer(defaultStdout: true, session: session)
        let responders = try Responders(options: respond, session: session, writer: w, render: out.render, command: "replay", quiet: engine.quiet)
        let progress = ProgressLine.make(quiet: engine.quiet, paths: paths)
        e.onProgress = progress.map { p in { bytes, events in p.update(bytes: bytes, events: events) } }
        defer { progress?.finish() }
        try engine.run(e, paths: paths, listing: listing, session: session, redact: responders.redactText) { a in try responders.handle(a, event: e.current) }
        try w?.flush()
        try responders.finish()
        if e.stopped, let s = session {
            printError("vigil: stopped by signal; checkpoint written to \(s.directory.path): run the same command to resume")
            throw ExitCode(128 + Signals.received)
        }
    }
}
