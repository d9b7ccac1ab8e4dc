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
            emit: { [unowned e] a in
                monitor?.count(a)
                try responders.handle(a, event: e.current)
            },
            deadLetter: { d in
                let line = d.jsonLine()
                try dl?.write(responders.redactText?(line) ?? line)
            },
            flush: { try w?.flush(); try dl?.flush(); try responders.tick() })
        for (f, _) in followed { resolver.noteListCalls(f.listCalls) }
        try responders.finish()
        e.noteSourceCounters(resolver.counters())
        try engine.report(e)
    }

    /// Keeps, per followed folder, the last object read to its end (the folder's cursor) and what
    /// comes after an object still begun; forgets the rest, so the checkpoint stays small.
    static func prune(_ s: StateSession, under location: S3Location) {
        let (done, begun) = s.objects(under: location.name(of: ""))
        var firstBegun: [String: String] = [:]
        for b in begun {
            let f = S3Follower.folder(of: b)
            if firstBegun[f].map({ b < $0 }) ?? true { firstBegun[f] = b }
        }
        var keep: [String: String] = [:]
        var forget: [String] = []
        for d in done {
            let f = S3Follower.folder(of: d)
            if let limit = firstBegun[f], d >= limit { continue }
            if let k = keep[f] {
                forget.append(min(k, d))
                keep[f] = max(k, d)
            } else {
                keep[f] = d
            }
        }
        s.forgetObjects(forget)
    }
}
