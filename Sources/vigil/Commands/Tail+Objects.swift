import Foundation
import VigilAWS
import VigilCore
import VigilPipeline
import VigilResponders
import VigilSources

/// `vigil tail s3://BUCKET/PREFIX`: the bucket polled for new objects, each batch run through the
/// engine as a replay of those objects would be (``BatchTailer``).
extension Tail {
    func runObjects() throws {
        guard paths.allSatisfy(InputResolver.isRemote) else {
            throw Failure.usage("tail follows either files and directories or s3:// prefixes, not both in one run: start one vigil for each")
        }
        let (session, e, w, dl) = try start()
        let resolver = InputResolver()
        var followed: [(S3Follower, S3Objects)] = []
        for p in paths {
            let (f, store) = try resolver.follow(p, listing: listing, fromStart: fromStart)
            if let s = session {
                let (done, begun) = s.objects(under: f.location.name(of: ""))
                f.restore(done: done, begun: begun)
            }
            followed.append((f, store))
        }
        if !engine.quiet {
            printError("vigil: following \(paths.joined(separator: " ")) (listing every \(Int(pollSeconds)) s)"
                       + (session?.restored != nil ? ", resuming from \(session!.directory.path)" : ""))
        }
        let responders = try Responders(options: respond, session: session, writer: w, render: out.render, command: "tail", quiet: engine.quiet)
        let tailer = BatchTailer(engine: e, session: session, pollSeconds: pollSeconds)
        tailer.stopRequested = { Signals.stopRequested }
        let monitor = try metricsAddress.map {
            try TailMonitor(address: $0, engine: e, tailer: tailer, session: session, responders: responders, quiet: engine.quiet) {
                resolver.counters(followerListCalls: followed.reduce(0) { $0 + $1.0.listCalls })
            }
        }
        defer { monitor?.stop() }
        let sinks = TailSinks(engine: e, responders: responders, alerts: w, deadLetters: dl, monitor: monitor)
        var firstPoll = true
        try tailer.run(
            discover: {
                var inputs: [Input] = []
                for (f, store) in followed {
                    do {
                        let found = try f.poll()
                        store.noteListed(found.count)
                        inputs += found.map { Input.object(RemoteObject(name: f.location.name(of: $0.key), size: $0.size, store: store)) }
                    } catch let err as AWSError {
                        // The first listing failing is a configuration error (no bucket, no access):
                        // said at once. Later, after the client's retries, it is reported and tried
                        // again at the next poll.
                        if firstPoll { throw SourceError.remote(f.location.description, reason: err.description) }
                        printError("vigil: \(f.location): \(err)")
                    }
                }
                firstPoll = false
                return inputs
            },
            prefetch: { resolver.prefetch($0) },
            committed: { if let s = session { for (f, _) in followed { Self.prune(s, under: f.location) } } },
            emit: sinks.emit, deadLetter: sinks.deadLetter, flush: sinks.flush)
        for (f, _) in followed { resolver.noteListCalls(f.listCalls) }
        try responders.finish()
        e.noteSourceCounters(resolver.counters())
        try engine.report(e)
    }

    /// Keeps, per followed folder, the last object read to its end (the folder's cursor) and what
    /// comes after an object still begun; forgets the rest, so the checkpoint stays small.
    static func prune(_ s: StateSession, under location: S3Location) {
        let (done, begun) = s.objects(under: location.name(of: ""))
        let (lastDone, firstBegun) = S3Follower.positions(done: done, begun: begun)
        let keep = Set(lastDone.values)
        s.forgetObjects(done.filter { d in
            !keep.contains(d) && firstBegun[S3Follower.folder(of: d)].map { d < $0 } ?? true
        })
    }
}
