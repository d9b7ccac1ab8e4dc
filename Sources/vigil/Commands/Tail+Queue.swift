import Foundation
import VigilAWS
import VigilCore
import VigilPipeline
import VigilResponders
import VigilSources

/// `vigil tail sqs://QUEUE`: objects announced on a queue (S3 event notifications, direct or
/// through SNS, CloudTrail's SNS notifications, EventBridge "Object Created" events), each batch of
/// messages read as a replay of their objects would be (``BatchTailer``).
///
/// A message is deleted only after a checkpoint covers every record of its objects (`--state`;
/// without it, after its batch is processed and the alerts flushed). A kill -9 before that leaves
/// it on the queue: it comes back after the visibility timeout, the objects it names that the
/// checkpoint holds as read are skipped, one half read resumes, so every alert is written once.
///
/// Messages that cannot be used: one that is not a notification, or names an object that does not
/// exist, is written to --dead-letter with its reason and deleted (a redelivery could only fail the
/// same way). One whose object cannot be read for another reason (access denied, S3 unreachable
/// after retries) is left on the queue, so a fixed policy or a recovered S3 reads it, and the
/// queue's redrive policy moves it to its dead-letter queue after maxReceiveCount tries.
extension Tail {
    func runQueue() throws {
        guard paths.count == 1, let path = paths.first, InputResolver.isQueue(path) else {
            throw Failure.usage("tail reads one sqs:// queue per run, without files or s3:// prefixes: start one vigil for each")
        }
        let (session, e, w, dl) = try start()
        let resolver = InputResolver()
        let queue = try resolver.queue(path)
        let tally = QueueTally()
        if !engine.quiet {
            printError("vigil: reading notifications from \(path)" + (session?.restored != nil ? ", resuming from \(session!.directory.path)" : ""))
        }
        let responders = try Responders(options: respond, session: session, writer: w, render: out.render, command: "tail", quiet: engine.quiet)
        let tailer = BatchTailer(engine: e, session: session, pollSeconds: 0)
        tailer.stopRequested = { Signals.stopRequested }
        let monitor = try metricsAddress.map {
            try TailMonitor(address: $0, engine: e, tailer: tailer, session: session, responders: responders, quiet: engine.quiet) {
                resolver.counters() + tally.counters
            }
        }
        defer { monitor?.stop() }
        let sinks = TailSinks(engine: e, responders: responders, alerts: w, deadLetters: dl, monitor: monitor)
        var pending: [(message: SQSMessage, objects: [String])] = []
        var unusable: [SQSMessage] = []
        var failures: [String: AWSError] = [:]
        // Objects that could not be read are not "done": forgotten before each checkpoint, so a
        // redelivered message reads them again.
        session?.beforeSave = {
            for s in resolver.stores { failures.merge(s.takeFailures()) { a, _ in a } }
            session?.forgetObjects(Array(failures.keys))
        }
        func deadLetter(_ m: SQSMessage, _ reason: String) throws {
            // Once per message, even when a kill -9 came between its dead letter and its deletion.
            let marker = "sqs-message:\(m.id)"
            if session?.isDone(marker) == true { return }
            session?.noteDone(marker)
            let d = DeadLetter(reason: reason, position: SourcePosition(input: path, offset: 0, line: 0), excerpt: m.body, length: m.body.utf8.count)
            if dl != nil { try sinks.deadLetter(d) } else if !engine.quiet {
                printError("vigil: \(path): message \(m.id) is unusable (\(reason)); deleted (keep such messages with --dead-letter PATH)")
            }
            tally.deadLettered += 1
        }
        try tailer.run(
            discover: {
                var inputs: [Input] = [], seen = Set<String>()
                for round in 0..<10 {
                    let got: [SQSMessage]
                    do {
                        got = try queue.receive(waitSeconds: round == 0 ? Int(min(10, pollSeconds)) : 0, visibilitySeconds: visibilityTimeout)
                    } catch let err as AWSError {
                        if tally.received == 0 && round == 0 { throw SourceError.remote(path, reason: err.description) }
                        printError("vigil: \(path): \(err)")
                        break
                    }
                    tally.received += got.count
                    for m in got {
                        do {
                            let objects = try ObjectNotification.objects(in: m.body)
                            pending.append((m, objects.map(\.name)))
                            for o in objects where seen.insert(o.name).inserted {
                                let store = try resolver.store(bucket: o.bucket, depth: listing.fetchAhead, keepFailures: true)
                                inputs.append(.object(RemoteObject(name: o.name, size: 0, store: store)))
                            }
                        } catch let u as ObjectNotification.Unusable {
                            try deadLetter(m, u.reason)
                            unusable.append(m)
                        }
                    }
                    if got.count < 10 { break }
                }
                tally.objects += inputs.count
                return inputs
            },
            prefetch: { resolver.prefetch($0) },
            committed: {
                let deadBefore = tally.deadLettered
                for s in resolver.stores { failures.merge(s.takeFailures()) { a, _ in a } }
                var delete = unusable
                for (m, objects) in pending {
                    let failed = objects.compactMap { o in failures[o].map { (o, $0) } }
                    if let missing = failed.first(where: { ["NoSuchKey", "NotFound", "NoSuchBucket"].contains($0.1.code ?? "") }) {
                        try deadLetter(m, "object-missing: \(missing.0)")
                        delete.append(m)
                    } else if let f = failed.first {
                        tally.leftOnQueue += 1
                        printError("vigil: \(path): message \(m.id) left on the queue (receive \(m.receiveCount)): \(f.1)")
                    } else if objects.allSatisfy({ session?.isDone($0) ?? !e.stopped }) {
                        delete.append(m)
                    }
                }
                if !delete.isEmpty {
                    try w?.flush()
                    try dl?.flush()
                    // Dead letters written for these messages are on disk, under a checkpoint, before
                    // the messages go.
                    if let s = session, !unusable.isEmpty || tally.deadLettered > deadBefore { try s.save(e, wait: true) }
                    let refused = try queue.delete(delete)
                    tally.deleted += delete.count - refused.count
                }
                session.map { Self.keepRecent($0, limit: 100_000) }
                session?.forgetObjects(Array(failures.keys))
                failures = [:]
                pending = []
                unusable = []
            },
            emit: sinks.emit, deadLetter: sinks.deadLetter, flush: sinks.flush)
        try responders.finish()
        e.noteSourceCounters(resolver.counters() + tally.counters)
        try engine.report(e)
    }

    /// Keeps the newest `limit` objects read, so a late redelivery of a message is still skipped,
    /// without the checkpoint growing with every object ever announced.
    static func keepRecent(_ s: StateSession, limit: Int) {
        for prefix in ["s3://", "sqs-message:"] {
            let (done, _) = s.objects(under: prefix)
            if done.count > limit { s.forgetObjects(Array(done.prefix(done.count - limit))) }
        }
    }
}

/// Counts of a queue run, for `--stats`.
final class QueueTally {
    var received = 0, deleted = 0, deadLettered = 0, leftOnQueue = 0, objects = 0
    var counters: [(String, Int64)] {
        [("sqs_messages_received", Int64(received)), ("sqs_messages_deleted", Int64(deleted)),
         ("sqs_messages_dead_lettered", Int64(deadLettered)), ("sqs_messages_left_on_queue", Int64(leftOnQueue)),
         ("sqs_objects_announced", Int64(objects))]
    }
}
