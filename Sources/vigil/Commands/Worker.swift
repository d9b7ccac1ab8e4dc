import ArgumentParser
import Foundation
import VigilCluster
import VigilCore
import VigilNATS
import VigilPipeline
import VigilResponders

/// `vigil worker`: detection for one shard of what `vigil route` publishes.
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consume one shard of VIGIL_EVENTS from NATS JetStream and detect as 'vigil tail' does.",
        discussion: """
        Worker K reads subject vigil.events.K of stream VIGIL_EVENTS through the durable pull consumer vigil-shard-K, in stream order, and runs each event through baseline, scorer, detector and responders exactly as tail does (the same model, rules, Sigma rules, webhooks, quarantine policy and --alerts file). Each alert is also published to stream VIGIL_ALERTS, subject vigil.alerts.<severity>, with Nats-Msg-Id = the alert id.

        --state DIR is required: the checkpoint holds the model, open incidents, the alerts file's length and the last stream sequence processed. Messages are acknowledged (AckAll) only once a checkpoint on disk covers them. Killed, even with kill -9, and started again, the worker resumes after its checkpoint: VIGIL_ALERTS and --alerts FILE hold each alert exactly once. SIGINT or SIGTERM writes a checkpoint and exits 0.

        A principal lives on one shard, so its baseline is whole. Each worker has its own isolation forest, drift monitor and silence watch, over its shard's events: worker K's alerts are those of 'vigil replay --shard K --shards N' over the router's input (identities stitched over every event, detection on shard K's events in stream order). Quarantine caps count per worker. See docs/scale-out.md.

        Examples:
          vigil worker --nats nats://127.0.0.1:4222 --shards 4 --shard 0 --state /var/lib/vigil/shard-0 --alerts shard-0.jsonl
          vigil worker --nats nats://127.0.0.1:4222 --shards 1 --shard 0 --state st --exit-when-idle 5   # a batch run
        """
    )

    @OptionGroup(title: "NATS") var nats: NATSOptions
    @OptionGroup(title: "Shards") var shardOptions: ShardOptions

    @Option(help: ArgumentHelp("The shard this worker consumes, 0…N-1.", valueName: "k"))
    var shard: Int

    @Option(name: .customLong("exit-when-idle"), help: ArgumentHelp("Stop cleanly (checkpoint, exit 0) once the shard has had no message for this many seconds: for batch runs and tests. Default: run until stopped.", valueName: "seconds"))
    var exitWhenIdle: Double?

    @Option(name: .customLong("batch"), help: ArgumentHelp("Messages fetched at once (default 512).", valueName: "n"))
    var batch = 512

    @Option(name: .customLong("max-ack-pending"), help: ArgumentHelp("Messages JetStream delivers before this worker must acknowledge (default 8 × --checkpoint-every + 4 × --batch). Acknowledgements wait for checkpoints: a worker at the limit writes one and goes on.", valueName: "n"))
    var maxAckPending: Int?

    @OptionGroup var engine: EngineOptions
    @OptionGroup(title: "Sigma rules") var sigmaRules: SigmaOptions
    @OptionGroup var out: AlertOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var respond: ResponderOptions

    func validate() throws {
        guard state.state != nil else { throw ValidationError("vigil worker needs --state DIR: acknowledgements wait for its checkpoints") }
        guard shard >= 0 && shard < shardOptions.shards else { throw ValidationError("--shard must be 0…\(shardOptions.shards - 1) for --shards \(shardOptions.shards)") }
        if let s = exitWhenIdle, !(s > 0 && s <= 86_400) { throw ValidationError("--exit-when-idle must be more than 0 and at most 86400 seconds") }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1…10000") }
        if let m = maxAckPending, m < batch { throw ValidationError("--max-ack-pending must be at least --batch (\(batch))") }
    }

    func run() throws {
        Signals.install()
        let layout = try shardOptions.layout
        let session = try state.open()!
        let sigma = SigmaOptions.rules(try sigmaRules.catalog(extra: try SigmaOptions.configPaths(respond.config)), quiet: engine.quiet)
        let e = try engine.makeEngine(session: session, extraRules: sigma)
        try engine.configure(e)
        let w = try out.writer(defaultStdout: false, session: session)
        let dl = try engine.deadLetter.map { try session.output(path: $0) }
        let responders = try Responders(options: respond, session: session, writer: w, render: out.render, command: "worker", quiet: engine.quiet)
        let connection = try nats.connect(name: "vigil-worker-\(shard)")
        defer { connection.close() }
        let js = JetStream(connection)
        try layout.ensureEventsStream(js, duplicateWindowSeconds: shardOptions.duplicateWindowSeconds, replicas: nats.replicas)
        try ShardLayout.ensureAlertsStream(js, duplicateWindowSeconds: shardOptions.duplicateWindowSeconds, replicas: nats.replicas)
        var o = ShardWorker.Options(shard: shard)
        o.exitWhenIdle = exitWhenIdle
        o.batch = batch
        o.checkpointEvents = max(state.checkpointEvery, batch)
        o.maxAckPending = maxAckPending
        let worker = try ShardWorker(js: js, layout: layout, options: o, engine: e, session: session)
        worker.stopRequested = { Signals.stopRequested }
        if !engine.quiet {
            printError("vigil: worker for shard \(shard) of \(layout.shards) on \(nats.url)" + (session.restored != nil ? ", resuming from \(session.directory.path)" : ""))
        }
        try worker.run(emit: { [unowned e] a in
                           try responders.handle(a, event: e.current)
                           let shown = responders.redactor?.redact(a) ?? a
                           try worker.publish(shown, line: shown.jsonLine())
                       },
                       deadLetter: { d in
                           let line = d.jsonLine()
                           try dl?.write(responders.redactText?(line) ?? line)
                       },
                       flush: { try w?.flush(); try dl?.flush(); try responders.tick() })
        try responders.finish()
        try engine.report(e, source: "\(ShardLayout.eventsStream) shard \(shard)")
        if !engine.quiet {
            printError("vigil: shard \(shard): \(worker.alertsStored) alerts stored in \(ShardLayout.alertsStream), \(worker.alertsDuplicate) already there")
        }
    }
}
