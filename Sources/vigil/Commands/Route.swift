import ArgumentParser
import Foundation
import VigilCluster
import VigilCore
import VigilNATS
import VigilResponders
import VigilDetection
import VigilPipeline
import VigilSources

/// `vigil route`: read, parse and stitch logs, and publish each event to its principal's shard.
struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read logs and publish each event to its principal's shard on NATS JetStream, for 'vigil worker'.",
        discussion: """
        The router reads what replay and tail read (files, directories, '-' for stdin; gzip and zstd; every format), parses each record, drops duplicates, follows temporary credentials to the identity that minted them (identity stitching must see every AssumeRole of the organisation, so it runs here, once), and publishes the event to stream VIGIL_EVENTS, subject vigil.events.<shard>, where shard = FNV-1a hash of the principal mod --shards. The message carries the raw record and the stitched actor (wire format 'Vigil-Event: 1', see docs/scale-out.md); its Nats-Msg-Id is the event id, so a restarted router stores nothing twice within --duplicate-window.

        Without --follow the inputs are read once, as replay reads them (several inputs merged by event time), and the router exits when JetStream has acknowledged every event. With --follow they are followed as tail follows them.

        With --state DIR the reading positions and stitching state are checkpointed, only once JetStream has acknowledged every event before them: a router killed (even with kill -9) and started again resumes there, and what it publishes again is dropped as a duplicate.

        Examples:
          nats-server -js -a 127.0.0.1 -p 4222 -sd /var/lib/nats &
          vigil route --nats nats://127.0.0.1:4222 --shards 4 --state /var/lib/vigil/router archive/
          vigil route --nats tls://nats.internal:4222 --nats-ca-file ca.pem --nats-creds-file /etc/vigil/nats.creds --shards 4 --follow /var/log/cloudtrail/
        """
    )

    @OptionGroup(title: "NATS") var nats: NATSOptions
    @OptionGroup(title: "Shards") var shardOptions: ShardOptions
    @OptionGroup(title: "State") var state: StateOptions

    @Flag(help: "Follow the inputs as 'vigil tail' does (new lines, rotations, new files in directories) instead of reading them once.")
    var follow = false

    @Flag(name: .customLong("from-start"), help: "With --follow: read files present at start from their beginning (default: only what is appended from now on).")
    var fromStart = false

    @Option(help: ArgumentHelp("Input format: auto (default, per record) or one of \(SourceFormat.allCases.map(\.rawValue).joined(separator: ", ")). A mapped format is re-parsed by the workers, which need the same --mapping.", valueName: "format"))
    var format: String = "auto"

    @Option(help: ArgumentHelp("Field mapping for --format mapped.", valueName: "path"))
    var mapping: String?

    @Option(name: .customLong("dead-letter"), help: ArgumentHelp("Write records that cannot be used (with position and reason) to this JSONL file.", valueName: "path"))
    var deadLetter: String?

    @Option(help: ArgumentHelp("Write run counters as JSON to this file (events are 'routed', not detected: alerts come from the workers).", valueName: "path"))
    var stats: String?

    @Option(help: ArgumentHelp("Reading threads without --follow: 2 parses ahead on a second thread, 1 reads and publishes on one.", valueName: "n"))
    var threads: Int = 2

    @Option(name: .customLong("reorder-window"), help: ArgumentHelp("How far several inputs may be out of step in event time, as for replay (default: 15m).", valueName: "duration"))
    var reorderWindow: String?

    @Flag(help: "Print nothing on stderr but errors.")
    var quiet = false

    @Argument(help: ArgumentHelp("Files, directories, or '-' for stdin.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        if fromStart && !follow { throw ValidationError("--from-start only applies with --follow") }
        _ = try engineOptions()
    }

    /// The replay options the router shares (format, dead letters, stats, threads, reorder window).
    func engineOptions() throws -> EngineOptions {
        var args = ["--format", format, "--threads", String(threads)]
        if let m = mapping { args += ["--mapping", m] }
        if let d = deadLetter { args += ["--dead-letter", d] }
        if let s = stats { args += ["--stats", s] }
        if let w = reorderWindow { args += ["--reorder-window", w] }
        // Its own summary line below: replay's would count alerts the router never raises.
        args.append("--quiet")
        return try EngineOptions.parse(args)
    }

    func run() throws {
        Signals.install()
        let options = try engineOptions()
        let layout = try shardOptions.layout
        let session = try state.open()
        let rules = RuleSet(rules: [])
        let engine: Engine
        if let cp = session?.restored {
            engine = try Engine(rules: rules, checkpoint: cp)
        } else {
            var cfg = EngineConfig()
            options.caps.apply(to: &cfg)
            engine = try Engine(config: cfg, rules: rules)
        }
        let connection = try nats.connect(name: "vigil-route")
        defer { connection.close() }
        let js = JetStream(connection)
        try layout.ensureEventsStream(js, duplicateWindowSeconds: shardOptions.duplicateWindowSeconds, replicas: nats.replicas)
        let router = try EventRouter(connection: connection, layout: layout)
        router.attach(to: engine, session: session)
        if follow {
            try options.configure(engine)
            let dl = try options.deadLetter.map { try session?.output(path: $0) ?? LineWriter(path: $0) }
            var f = Follower.Options()
            f.fromStart = fromStart
            f.resuming = session?.restored != nil
            let follower = try Follower(paths: paths, options: f) { path, fd in session?.resolve(path: path, fd: fd) ?? .unknown }
            let tailer = Tailer(engine: engine, follower: follower, session: session)
            tailer.stopRequested = { Signals.stopRequested }
            if !quiet { printError("vigil: routing \(paths.joined(separator: " ")) to \(ShardLayout.eventsStream) (\(layout.shards) shards), following") }
            try tailer.run(emit: { _ in }, deadLetter: { try dl?.write($0.jsonLine()) }, flush: { try dl?.flush(); try router.flush() })
            try router.finish()
            try options.report(engine)
        } else {
            engine.stopRequested = { Signals.stopRequested }
            try options.run(engine, paths: paths, session: session) { _ in }
            try router.finish()
        }
        if !quiet {
            let counts = router.perShard.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " ")
            var msg = "vigil: routed \(router.stored + router.duplicates) events (\(router.duplicates) already in the stream; by shard \(counts))"
            let st = engine.stats
            if st.duplicates > 0 { msg += ", \(st.duplicates) duplicate records skipped" }
            if st.deadLettered > 0 { msg += ", \(st.deadLettered) records dead-lettered" + (deadLetter == nil ? " (keep them with --dead-letter PATH)" : " (see \(deadLetter!))") }
            printError(msg)
        }
        if engine.stopped && !follow {   // following ends by a signal, as tail does: exit 0
            if let s = session {
                printError("vigil: stopped by signal; checkpoint written to \(s.directory.path): run the same command to resume")
            } else {
                printError("vigil: stopped by signal; what was read is in \(ShardLayout.eventsStream) (without --state a new run starts from the beginning, and the stream drops what it already holds)")
            }
            throw ExitCode(128 + Signals.received)
        }
    }
}
