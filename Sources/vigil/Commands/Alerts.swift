import ArgumentParser
import Foundation
import VigilCluster
import VigilNATS

/// `vigil alerts`: print what the workers published to `VIGIL_ALERTS`.
struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the alerts stored in VIGIL_ALERTS (published by 'vigil worker'), one JSON line each, in stream order.",
        discussion: """
        Reads the stream from its first message with a temporary consumer (deleted afterwards) and prints each alert as it was published (vigil.alert/1 JSON lines). --follow keeps printing new alerts until interrupted.

        Examples:
          vigil alerts --nats nats://127.0.0.1:4222
          vigil alerts --nats nats://127.0.0.1:4222 --severity high --follow
        """
    )

    @OptionGroup(title: "NATS") var nats: NATSOptions

    @Option(help: ArgumentHelp("Only alerts of this severity (info, low, medium, high, critical).", valueName: "severity"))
    var severity: String?

    @Flag(help: "Keep printing new alerts until interrupted.")
    var follow = false

    func validate() throws {
        if let s = severity, !["info", "low", "medium", "high", "critical"].contains(s) {
            throw ValidationError("--severity must be info, low, medium, high or critical")
        }
    }

    func run() throws {
        Signals.install()
        let connection = try nats.connect(name: "vigil-alerts")
        defer { connection.close() }
        let js = JetStream(connection)
        do {
            _ = try js.streamInfo(ShardLayout.alertsStream)
        } catch NATSError.jetStream(let code, _) where code == 404 {
            throw Failure(code: Exit.input, message: "no stream \(ShardLayout.alertsStream) on \(nats.url): no worker has run there yet")
        }
        var c = JetStream.ConsumerConfig(durable: "vigil-alerts-reader-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        c.filterSubject = severity.map { ShardLayout.alertSubject(severity: $0) }
        try js.ensureConsumer(stream: ShardLayout.alertsStream, c)
        defer { _ = try? js.deleteConsumer(stream: ShardLayout.alertsStream, name: c.durable) }
        let out = FileHandle.standardOutput
        while !Signals.stopRequested {
            let batch = try js.fetch(stream: ShardLayout.alertsStream, consumer: c.durable, batch: 256, expires: 0.5)
            if batch.isEmpty {
                if follow { continue } else { break }
            }
            var text = Data()
            for m in batch {
                text.append(contentsOf: m.message.payload)
                text.append(10)
            }
            out.write(text)
            try js.ack(batch.last!)
        }
    }
}
