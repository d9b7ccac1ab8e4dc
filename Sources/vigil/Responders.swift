import ArgumentParser
import Foundation
import VigilCore
import VigilPipeline
import VigilResponders

/// Responder options shared by `replay` and `tail` (Contract: responders).
struct ResponderOptions: ParsableArguments {
    @Option(help: ArgumentHelp("YAML config: webhooks (URLs and secrets by file reference), retry, policy, enforce, redact, audit_head, actions. Flags override it. Must not be group- or world-writable.", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("POST each alert to this URL (repeatable). A URL that carries a token (query string, user info, Slack hooks) must come from --webhook-url-file or the config instead: arguments are visible to every user of the machine.", valueName: "url"))
    var webhook: [String] = []

    @Option(name: .customLong("webhook-url-file"), help: ArgumentHelp("File holding a webhook URL (repeatable; never logged).", valueName: "file"))
    var webhookURLFile: [String] = []

    @Option(name: .customLong("webhook-format"), help: ArgumentHelp("Payload for --webhook/--webhook-url-file: json (vigil.alert/1), slack, or ocsf (Detection Finding, class_uid 2004).", valueName: "json|slack|ocsf"))
    var webhookFormat: String = "json"

    @Option(name: .customLong("webhook-secret-file"), help: ArgumentHelp("File holding an HMAC key: requests carry X-Vigil-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">.", valueName: "file"))
    var webhookSecretFile: String?

    @Option(help: ArgumentHelp("Quarantine policy (YAML, see Models/policy-aws-example.yaml). Dry run unless --enforce. Needs --state.", valueName: "path"))
    var policy: String?

    @Flag(help: "Run the policy's actions (default: plan them only). Acts only on findings whose event time is recent by the wall clock.")
    var enforce = false

    @Option(help: ArgumentHelp("Append vigil.action/1 records (planned, executed, skipped, released) to this JSONL file.", valueName: "path"))
    var actions: String?

    @Option(help: ArgumentHelp("'pii': replace e-mail and IP addresses in what Vigil emits by keyed hashes (stable, so correlation still works). The key is STATE/redact.key or the config's redact_key_file.", valueName: "pii"))
    var redact: String?

    @Option(name: .customLong("audit-head"), help: ArgumentHelp("Also write the audit chain's head (seq, hash, signature) here after every entry, e.g. for shipping off-host (needs --state).", valueName: "path"))
    var auditHead: String?

    func validate() throws {
        guard WebhookFormat(rawValue: webhookFormat) != nil else { throw ValidationError("--webhook-format must be json, slack or ocsf") }
        if let r = redact, r != "pii" { throw ValidationError("--redact takes 'pii'") }
        for u in webhook {
            if let why = ResponderOptions.secretInURL(u) {
                throw ValidationError("--webhook: this URL \(why); put it in a file (mode 600) and pass --webhook-url-file, so it never appears in the process list")
            }
        }
    }

    /// Why a URL given on the command line looks like it carries a secret (nil: it does not).
    static func secretInURL(_ s: String) -> String? {
        guard let u = URLComponents(string: s), let host = u.host else { return "is not a URL" }
        if u.user != nil || u.password != nil { return "carries user credentials" }
        if u.query != nil { return "carries a query string (tokens usually travel there)" }
        if host.hasSuffix("hooks.slack.com") || host.contains("webhook.office.com") || host.hasSuffix("discord.com") { return "is a token-bearing chat webhook" }
        let lower = u.path.lowercased()
        if ["token", "secret", "key=", "sig"].contains(where: lower.contains) { return "seems to carry a token in its path" }
        return nil
    }
}

/// Everything that happens to an alert after detection: redaction, the alerts file, the audit
/// trail, webhooks (through the durable outbox), and quarantine under the policy. Built once per run
/// from flags, config and the state directory.
final class Responders {
    let writer: LineWriter?
    let render: (Alert) -> String
    let audit: AuditTrail?
    let redactor: PIIRedactor?
    let sender: WebhookSender?
    let quarantine: Quarantine?
    let actionsWriter: LineWriter?
    let drainSeconds: Double
    let quiet: Bool
    private var tempOutbox: String?

    init(options o: ResponderOptions, session: StateSession?, writer: LineWriter?, render: @escaping (Alert) -> String,
         command: String, quiet: Bool) throws {
        self.writer = writer
        self.render = render
        self.quiet = quiet
        let cfg: ResponderConfig
        do { cfg = try o.config.map(ResponderConfig.load) ?? ResponderConfig() } catch { throw Failure.usage("\(error)") }
        let stateDir = session?.directory.path
        // Audit trail: in the state directory.
        let head = o.auditHead ?? cfg.auditHead
        if let d = stateDir {
            audit = try AuditTrail(directory: d, headPath: head)
            session?.syncDescriptors.append(audit!.descriptor)
        } else {
            if head != nil { throw Failure.usage("--audit-head needs --state DIR (the audit trail lives there)") }
            audit = nil
        }
        // Redaction.
        let redactMode = o.redact ?? cfg.redact
        if let m = redactMode {
            guard m == "pii" else { throw Failure.usage("redact: '\(m)' is not supported ('pii' is)") }
            let keyPath: String
            if let k = cfg.redactKeyFile { keyPath = k } else if let d = stateDir { keyPath = d + "/redact.key" } else {
                throw Failure.usage("--redact pii needs a stable key: --state DIR (key kept there) or redact_key_file in the config")
            }
            do { redactor = PIIRedactor(key: try PIIRedactor.loadOrCreateKey(keyPath)) } catch { throw Failure.usage("\(error)") }
        } else {
            redactor = nil
        }
        // Webhooks: flags replace the config's list when given.
        var targets: [WebhookTarget] = []
        do {
            let flagFormat = WebhookFormat(rawValue: o.webhookFormat) ?? .json
            let flagSecret = try o.webhookSecretFile.map { Array(try TrustedFile.secret($0, what: "webhook secret").utf8) }
            if !o.webhook.isEmpty || !o.webhookURLFile.isEmpty {
                for u in o.webhook { targets.append(try Responders.target(u, flagFormat, flagSecret)) }
                for f in o.webhookURLFile { targets.append(try Responders.target(try TrustedFile.secret(f, what: "webhook URL"), flagFormat, flagSecret)) }
            } else {
                for w in cfg.webhooks {
                    guard (w.url == nil) != (w.urlFile == nil) else { throw Failure.usage("config: each webhook needs exactly one of url, url_file") }
                    if let u = w.url, let why = ResponderOptions.secretInURL(u) {
                        throw Failure.usage("config: a webhook url \(why); use url_file")
                    }
                    let url = try w.url ?? TrustedFile.secret(w.urlFile!, what: "webhook URL")
                    let secret = try w.secretFile.map { Array(try TrustedFile.secret($0, what: "webhook secret").utf8) }
                    targets.append(try Responders.target(url, w.format ?? .json, secret))
                }
            }
        } catch let f as Failure { throw f } catch { throw Failure.usage("\(error)") }
        var retry = RetryPolicy()
        if let r = cfg.retry {
            retry.initialSeconds = r.initialSeconds ?? retry.initialSeconds
            retry.maxSeconds = r.maxSeconds ?? retry.maxSeconds
            retry.giveUpAfterSeconds = r.giveUpAfterSeconds ?? retry.giveUpAfterSeconds
            retry.timeoutSeconds = r.timeoutSeconds ?? retry.timeoutSeconds
        }
        drainSeconds = cfg.drainSeconds ?? 10
        if targets.isEmpty {
            sender = nil
        } else {
            var outboxDir = stateDir.map { $0 + "/outbox" }
            if outboxDir == nil {
                let t = NSTemporaryDirectory() + "vigil-outbox-\(getpid())"
                outboxDir = t
                tempOutbox = t
                if !quiet { printError("vigil: webhooks without --state: alerts not delivered by the end of the run are lost (use --state DIR for a durable outbox)") }
            }
            let outbox = try Outbox(directory: outboxDir!)
            let isQuiet = quiet
            sender = WebhookSender(targets: targets, outbox: outbox, retry: retry, audit: audit,
                                   log: { msg in if !isQuiet { printError("vigil: " + msg) } })
        }
        // Quarantine.
        // Appended to, never cut back on resume: an action that ran is a fact, whatever the checkpoint.
        actionsWriter = try (o.actions ?? cfg.actions).map { try LineWriter(path: $0, append: true) }
        if let p = o.policy ?? cfg.policy {
            guard let d = stateDir else { throw Failure.usage("--policy needs --state DIR (caps, TTLs and evidence live there)") }
            let policy: Policy
            do { policy = try Policy.load(p) } catch { throw Failure.usage("\(error)") }
            let q = try Quarantine(policy: policy, enforce: o.enforce || (cfg.enforce ?? false), stateDir: d, audit: audit, actions: actionsWriter)
            if let r = redactor { q.display = { r.redact(text: $0) } }
            quarantine = q
        } else {
            if o.enforce { throw Failure.usage("--enforce needs --policy PATH") }
            quarantine = nil
        }
        try audit?.append("config-loaded", [("command", .string(command)), ("webhooks", .int(targets.count)),
                                            ("webhook_hosts", .string(targets.map(\.display).joined(separator: " "))),
                                            ("policy", .string(o.policy ?? cfg.policy ?? "")),
                                            ("enforce", .bool(quarantine?.enforce ?? false)), ("redact", .string(redactMode ?? "")),
                                            ("config", .string(o.config ?? ""))])
    }

    static func target(_ s: String, _ format: WebhookFormat, _ secret: [UInt8]?) throws -> WebhookTarget {
        guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), u.host != nil else {
            throw Failure.usage("a webhook URL must be http:// or https:// with a host")
        }
        return WebhookTarget(url: u, format: format, secret: secret)
    }

    /// `--redact pii` for other text Vigil writes (dead-letter lines); nil without redaction.
    var redactText: ((String) -> String)? {
        guard let r = redactor else { return nil }
        return { r.redact(text: $0) }
    }

    /// One alert, from the engine's emit callback.
    func handle(_ a: Alert, event: AccessEvent?) throws {
        let out = redactor?.redact(a) ?? a
        try writer?.write(render(out))
        try audit?.append("alert-emitted", [("alert", .string(out.id)), ("kind", .string(out.finding.kind.rawValue)),
                                            ("rule", .string(out.finding.rule ?? "")), ("severity", .string(out.finding.severity.name)),
                                            ("principal", .string(out.finding.principal))])
        try sender?.submit(out)
        try quarantine?.consider(a, event: event)
    }

    /// Work driven by the wall clock: releases whose TTL passed.
    func tick() throws { try quarantine?.releaseExpired() }

    /// End of run: give webhooks up to `drainSeconds` to deliver what is queued.
    func finish() throws {
        try tick()
        quarantine?.drain()
        try actionsWriter?.flush()
        if let s = sender {
            let left = s.stop(drainSeconds: drainSeconds)
            if left > 0 && !quiet {
                printError("vigil: \(left) alert(s) not yet delivered to webhooks" + (tempOutbox == nil ? "; kept in the outbox for the next run" : " (lost: no --state)"))
            }
        }
        if let t = tempOutbox { try? FileManager.default.removeItem(atPath: t) }
    }
}
