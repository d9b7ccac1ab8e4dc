import ArgumentParser
import Foundation
import VigilCluster
import VigilCore
import VigilNATS
import VigilResponders

/// How `route`, `worker` and `alerts` reach NATS JetStream. Secrets never on the command line: a
/// URL with credentials is refused, and they come from `--nats-creds-file` instead.
struct NATSOptions: ParsableArguments {
    @Option(name: .customLong("nats"), help: ArgumentHelp("NATS server with JetStream: nats://HOST:PORT, or tls://HOST:PORT for TLS (verified against the system's CAs, or --nats-ca-file). Credentials in the URL are refused: use --nats-creds-file.", valueName: "url"))
    var url: String

    @Option(name: .customLong("nats-creds-file"), help: ArgumentHelp("File with the NATS credentials, never logged: 'user: NAME' and 'password: SECRET' lines, or 'token: SECRET' (a file holding only one word is a token). Refused when anyone on the machine may read it.", valueName: "file"))
    var credsFile: String?

    @Option(name: .customLong("nats-ca-file"), help: ArgumentHelp("PEM file of the CA that signed the NATS server's certificate (tls:// URLs; default: the system's CAs).", valueName: "file"))
    var caFile: String?

    @Option(name: .customLong("nats-replicas"), help: ArgumentHelp("Copies of VIGIL_EVENTS and VIGIL_ALERTS when this run creates them: 1 on a single server, 3 on a JetStream cluster to survive a server's loss.", valueName: "n"))
    var replicas = 1

    func validate() throws {
        do { _ = try NATSConnection.Options(url: url) } catch { throw ValidationError("--nats: \(error)") }
        if caFile != nil && !url.hasPrefix("tls://") { throw ValidationError("--nats-ca-file needs a tls:// URL") }
        guard [1, 3, 5].contains(replicas) else { throw ValidationError("--nats-replicas must be 1, 3 or 5") }
    }

    /// Connects (credentials read from their file here, never printed).
    func connect(name: String) throws -> NATSConnection {
        var o = try NATSConnection.Options(url: url)
        o.name = name
        o.caFile = caFile
        if let f = credsFile {
            let text: String
            do { text = try TrustedFile.secret(f, what: "NATS credentials") } catch { throw Failure.usage("\(error)") }
            let c = try Self.credentials(text, file: f)
            (o.user, o.password, o.token) = (c.user, c.password, c.token)
        }
        do {
            return try NATSConnection.connect(o)
        } catch {
            throw Failure(code: Exit.input, message: "\(error)")
        }
    }

    /// Parses a credentials file: `user:`/`password:` or `token:` lines (`=` works as well as `:`),
    /// or one bare word (a token).
    static func credentials(_ text: String, file: String) throws -> (user: String?, password: String?, token: String?) {
        var fields: [String: String] = [:]
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if lines.count == 1, !lines[0].contains(":"), !lines[0].contains("=") { return (nil, nil, lines[0]) }
        for l in lines {
            guard let sep = l.firstIndex(where: { $0 == ":" || $0 == "=" }) else {
                throw Failure.usage("\(file): each line must be 'user: …', 'password: …' or 'token: …'")
            }
            let key = l[..<sep].trimmingCharacters(in: .whitespaces).lowercased()
            guard ["user", "password", "token"].contains(key) else {
                throw Failure.usage("\(file): unknown key '\(key)' (user, password, token)")
            }
            fields[key] = l[l.index(after: sep)...].trimmingCharacters(in: .whitespaces)
        }
        if fields["token"] != nil && fields["user"] != nil { throw Failure.usage("\(file): give a token or a user and password, not both") }
        if (fields["user"] == nil) != (fields["password"] == nil) { throw Failure.usage("\(file): a user needs a password") }
        return (fields["user"], fields["password"], fields["token"])
    }
}

/// `--shards N` and the duplicate window, shared by router and worker.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Shard count: events are partitioned by a stable hash of their principal (role sessions folded into their role) over this many subjects, vigil.events.0 … N-1. Fixed when VIGIL_EVENTS is created; every router and worker must give the same number.", valueName: "n"))
    var shards: Int

    @Option(name: .customLong("duplicate-window"), help: ArgumentHelp("How long JetStream remembers message ids to drop a republished event or alert, when this run creates the streams. It must cover the longest restart of a router or worker.", valueName: "duration"))
    var duplicateWindow = "1h"

    func validate() throws {
        guard (1...ShardLayout.maxShards).contains(shards) else { throw ValidationError("--shards must be 1…\(ShardLayout.maxShards)") }
        guard let d = EventTime.parseDuration(duplicateWindow), d > 0 else {
            throw ValidationError("--duplicate-window \(duplicateWindow): give a duration such as 90s, 15m or 2h")
        }
    }

    var layout: ShardLayout { get throws { try ShardLayout(shards: shards) } }
    var duplicateWindowSeconds: Double { Double(EventTime.parseDuration(duplicateWindow) ?? EventTime.hour) / Double(EventTime.second) }
}
