import ArgumentParser
import Foundation
import VigilCore
import VigilMetrics
import VigilPipeline
import VigilResponders
import VigilSources

/// `vigil tail`: follow live logs and emit alerts as records arrive.
struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow files, directories or stdin and emit alerts as records arrive.",
        discussion: """
        Files are followed by name like 'tail -F': rename rotation, copytruncate and delete-and-recreate are noticed and the old file is read to its end first. A file present at start is read from its end unless --from-start. A last line without its newline waits for it.

        Directories are followed recursively, new subdirectories included. Each new file is read once, whole, when it is complete: closed after writing or moved in, or unchanged for 2 s (CloudTrail and similar deliveries write whole objects, .gz and .zst included). Files already there at start count as read unless --from-start.

        Several inputs are merged by event time, as replay merges them: a record goes on once every active input has delivered one as late (the watermark), so files that grow in their own order give the alerts of replaying them when finished. An input silent for --idle-timeout seconds stops holding the others back; a record behind the watermark is processed at once and counted late.

        An s3://BUCKET/PREFIX is listed every --poll-seconds for keys after the last one taken, per account and region (CloudTrail's layout); new objects are fetched and run through detection as one batch, merged by event time as replay merges them. At start only objects arriving from now on are read, unless --from-start (with --since, from that day). With --state each batch ends in a checkpoint that records the last key per prefix.

        sqs://QUEUE reads the objects that S3 event notifications (direct or through SNS), CloudTrail's SNS notifications or EventBridge "Object Created" events announce. A message is deleted only once a checkpoint covers its objects' records (--state), so after a kill -9 each alert is written once. A message that is not a notification, or names a missing object, goes to --dead-letter with its reason and is deleted; one whose object cannot be read (access denied, S3 unreachable) stays on the queue for its redrive policy.

        inotify wakes Vigil as soon as a file changes (alerts are written within milliseconds); --poll checks every 250 ms instead, for filesystems without inotify (NFS, some container mounts).

        With --state DIR, Vigil checkpoints its model, open incidents, reading positions and output lengths; after a restart (even kill -9) it resumes exactly where the last checkpoint was, and --alerts FILE holds every alert exactly once (stdout: at least once, de-duplicable by id). SIGINT or SIGTERM writes a checkpoint and exits 0. 'vigil train' then 'vigil tail --model' starts with warm baselines.

        Examples:
          vigil tail --from-start --alerts alerts.jsonl /var/log/cloudtrail/
          vigil tail --state /var/lib/vigil --model org.vigil.zst --alerts alerts.jsonl app/audit.log
          some-exporter | vigil tail -
          vigil tail --state /var/lib/vigil --alerts alerts.jsonl s3://org-trail/AWSLogs/
          vigil tail --state /var/lib/vigil --alerts alerts.jsonl --dead-letter bad.jsonl sqs://cloudtrail-objects
        """
    )

    @OptionGroup var engine: EngineOptions
    @OptionGroup(title: "Sigma rules") var sigmaRules: SigmaOptions
    @OptionGroup var out: AlertOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var respond: ResponderOptions
    @OptionGroup(title: "Date ranges and object stores") var listing: ListingOptions

    @Flag(name: .customLong("from-start"), help: "Read files present at start from their beginning (default: only what is appended from now on).")
    var fromStart = false

    @Flag(help: "Check the inputs every 250 ms instead of using inotify.")
    var poll = false

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds after which an input that has delivered no record stops holding the others back (default 5). Several inputs are merged by event time: a record waits until every active input has reached its time, so alerts equal a replay of the finished files; this wall-clock timeout bounds that wait, and is the one setting where the clock can change the alerts. One input waits for nothing.", valueName: "seconds"))
    var idleTimeout: Double = 5

    @Option(name: .customLong("metrics-address"), help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics, liveness at /healthz and readiness at /readyz (off by default; e.g. 127.0.0.1:9464). No authentication: keep it on loopback, or behind your proxy when exposed.", valueName: "host:port"))
    var metricsAddress: String?

    @Option(name: .customLong("poll-seconds"), help: ArgumentHelp("With s3:// prefixes: seconds between listings for new objects (CloudTrail delivers about every 5 minutes). Each poll lists, per account and region, only the days since the last key taken.", valueName: "seconds"))
    var pollSeconds: Double = 60

    @Option(name: .customLong("visibility-timeout"), help: ArgumentHelp("With sqs://: seconds a received message stays hidden from other readers while its objects are processed (default 300). A message Vigil did not delete (killed, or an object it could not read) comes back after this.", valueName: "seconds"))
    var visibilityTimeout: Int = 300

    @Argument(help: ArgumentHelp("Files, directories, '-' for stdin, s3://BUCKET/PREFIX, or sqs://QUEUE (a name or sqs.REGION.amazonaws.com/ACCOUNT/NAME).", valueName: "path"))
    var paths: [String]

    func validate() throws {
        guard (0...43_200).contains(visibilityTimeout) else { throw ValidationError("--visibility-timeout must be 0…43200 seconds (SQS's limit)") }
        guard pollSeconds >= 1, pollSeconds <= 86_400 else { throw ValidationError("--poll-seconds must be 1…86400") }
        guard idleTimeout > 0, idleTimeout <= 86_400 else { throw ValidationError("--idle-timeout must be more than 0 and at most 86400 seconds") }
        if let a = metricsAddress {
            do { _ = try MetricsError.parse(a) } catch { throw ValidationError("\(error)") }
        }
    }

    /// What both kinds of tail begin with: signals, the state session, the engine, the alert and
    /// dead-letter writers.
    func start() throws -> (StateSession?, Engine, LineWriter?, LineWriter?) {
        Signals.install()
        let session = try state.open()
        let sigma = SigmaOptions.rules(try sigmaRules.catalog(extra: try SigmaOptions.configPaths(respond.config)), quiet: engine.quiet)
        let e = try engine.makeEngine(session: session, extraRules: sigma)
        try engine.configure(e)
        let w = try out.writer(defaultStdout: true, session: session)
        let dl = try engine.deadLetter.map { try session?.output(path: $0) ?? LineWriter(path: $0) }
        return (session, e, w, dl)
    }

    func run() throws {
        if paths.contains(where: InputResolver.isQueue) { return try runQueue() }
        if paths.contains(where: InputResolver.isRemote) { return try runObjects() }
        let (session, e, w, dl) = try start()
        var options = Follower.Options()
        options.fromStart = fromStart
        options.polling = poll
        options.resuming = session?.restored != nil
        let follower = try Follower(paths: paths, options: options) { path, fd in
            session?.resolve(path: path, fd: fd) ?? .unknown
        }
        if !engine.quiet {
            let how = follower.usesInotify ? "inotify" : "polling every 250 ms"
            printError("vigil: following \(paths.joined(separator: " ")) (\(how))" + (session?.restored != nil ? ", resuming from \(session!.directory.path)" : ""))
        }
        let responders = try Responders(options: respond, session: session, writer: w, render: out.render, command: "tail", quiet: engine.quiet)
        let tailer = Tailer(engine: e, follower: follower, session: session, idleTimeout: idleTimeout)
        tailer.stopRequested = { Signals.stopRequested }
        let monitor = try metricsAddress.map { try TailMonitor(address: $0, engine: e, tailer: tailer, session: session, responders: responders, quiet: engine.quiet) }
        defer { monitor?.stop() }
        let sinks = TailSinks(engine: e, responders: responders, alerts: w, deadLetters: dl, monitor: monitor)
        try tailer.run(emit: sinks.emit, deadLetter: sinks.deadLetter, flush: sinks.flush)
        try responders.finish()
        try engine.report(e)
    }
}

/// Where every kind of tail sends what it finds: alerts to the responders (counted for metrics),
/// dead letters to `--dead-letter` (redacted as the responders say), and a flush of both.
struct TailSinks {
    let emit: (Alert) throws -> Void
    let deadLetter: (DeadLetter) throws -> Void
    let flush: () throws -> Void

    init(engine e: Engine, responders: Responders, alerts w: LineWriter?, deadLetters dl: LineWriter?, monitor: TailMonitor?) {
        emit = { [unowned e] a in
            monitor?.count(a)
            try responders.handle(a, event: e.current)
        }
        deadLetter = { d in
            let line = d.jsonLine()
            try dl?.write(responders.redactText?(line) ?? line)
        }
        flush = { try w?.flush(); try dl?.flush(); try responders.tick() }
    }
}
