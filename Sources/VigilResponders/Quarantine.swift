import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// Quarantine under a safety policy: for each alert the policy's first matching trigger names an
/// action; the action is planned (dry run, the default) or, with `--enforce`, executed — unless the
/// principal is allowlisted, already quarantined, the finding is not recent (event time more than
/// `recent_minutes` behind the wall clock: replaying an archive never quarantines anyone today), or
/// the hourly cap is spent. Every decision is a `vigil.action/1` record (to `--actions` and the
/// audit trail). An executed action is released by its `release` command after `ttl_minutes`.
///
/// State (active quarantines, recent action times) lives in `STATE/quarantine.json`, written
/// atomically on every change, so caps and releases survive restarts. The evidence for each
/// decision — the alert and the triggering event with its position in the raw logs — goes to
/// `STATE/quarantine/<alert id>.json`, removed after `evidence_retention_days`.
///
/// Programs run on a worker thread, one at a time: a hung `aws` call (up to its timeout) never
/// holds up detection. Decisions are made on the detecting thread (so caps and "already
/// quarantined" hold in order); `drain()` waits for the programs still queued.
///
/// Only the responders use the wall clock; the alert stream never depends on it.
public final class Quarantine: @unchecked Sendable {
    public let policy: Policy
    public let enforce: Bool
    let dir: String
    let audit: AuditTrail?
    let actions: LineWriter?
    let clock: () -> Double
    private var state: SavedState
    /// Principals whose action is queued or running (counts as quarantined for new decisions).
    private var inFlight: Set<String> = []
    /// Alerts whose release is queued or running.
    private var releasing: Set<String> = []
    private let lock = NSLock()
    private let worker = SerialWorker()
    /// Applied to principals in records and the audit trail (`--redact pii`); commands get the real one.
    public var display: (String) -> String = { $0 }
    private var decisions: [String: Int] = [:]

    /// How many decisions of each kind (planned, executed, skipped, failed, released,
    /// release-failed) this run made: for the operator's metrics. Read from any thread.
    public var decisionCounts: [String: Int] { lock.withLock { decisions } }

    struct Active: Codable {
        var principal: String
        var action: String
        var alert: String
        var releaseAt: Double
        var environment: [String: String]
    }

    struct SavedState: Codable {
        var active: [Active] = []
        var actionTimes: [Double] = []
    }

    public init(policy: Policy, enforce: Bool, stateDir: String, audit: AuditTrail?, actions: LineWriter?,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.policy = policy
        self.enforce = enforce
        dir = stateDir
        self.audit = audit
        self.actions = actions
        self.clock = clock
        if let d = FileManager.default.contents(atPath: stateDir + "/quarantine.json") {
            state = try JSONDecoder().decode(SavedState.self, from: d)
        } else {
            state = SavedState()
        }
        let evidence = stateDir + "/quarantine"
        if mkdir(evidence, 0o700) != 0 && errno != EEXIST { throw ResponderError.cannotOpen(evidence, errno: errno) }
        purgeEvidence()
    }

    /// Principals under an executed, not yet released action.
    public var activePrincipals: [String] {
        lock.lock()
        defer { lock.unlock() }
        return state.active.map(\.principal)
    }

    /// Waits until every queued action and release has run.
    public func drain() { worker.drain() }

    /// Decides what to do about `alert` (triggered by `event`); with --enforce, queues the program.
    public func consider(_ alert: Alert, event: AccessEvent?) throws {
        guard let trigger = policy.trigger(for: alert), let action = policy.actions[trigger.action] else { return }
        let f = alert.finding
        let now = clock()
        lock.lock()
        defer { lock.unlock() }
        state.actionTimes.removeAll { $0 < now - 3600 }
        func record(_ decision: String, _ reason: String, expires: Double? = nil, exitCode: Int32? = nil) throws {
            try write(ActionRecord(alert: alert, action: trigger.action, decision: decision, reason: reason,
                                   dryRun: !enforce, time: now, expires: expires, exitCode: exitCode))
        }
        if policy.isAllowlisted(f.principal) { return try record("skipped", "principal is on the policy's allowlist") }
        if inFlight.contains(f.principal) || state.active.contains(where: { $0.principal == f.principal }) {
            return try record("skipped", "already quarantined")
        }
        let age = now - Double(f.time) / 1000
        if age > policy.recentMinutes * 60 {
            return try record("skipped", "finding's event time \(EventTime.format(f.time)) is more than \(Int(policy.recentMinutes)) min old: only recent findings are acted on")
        }
        if state.actionTimes.count >= policy.maxActionsPerHour {
            return try record("skipped", "hourly cap of \(policy.maxActionsPerHour) action(s) reached")
        }
        let env = environment(alert, event: event, phase: "quarantine", now: now)
        try writeEvidence(alert, event: event)
        guard enforce else {
            return try record("planned", "dry run: --enforce would run \(action.command.joined(separator: " "))")
        }
        state.actionTimes.append(now)
        inFlight.insert(f.principal)
        try save()
        let logPath = dir + "/quarantine/\(alert.id).log"
        worker.submit { [self] in
            let result = CommandRunner.run(action.command + [f.principal, alert.id], environment: env, timeout: action.timeoutSeconds,
                                           logPath: logPath)
            lock.lock()
            defer { lock.unlock() }
            inFlight.remove(f.principal)
            let done = clock()
            func finished(_ decision: String, _ reason: String, expires: Double? = nil, exitCode: Int32?) {
                try? write(ActionRecord(alert: alert, action: trigger.action, decision: decision, reason: reason,
                                        dryRun: false, time: done, expires: expires, exitCode: exitCode))
            }
            if result.succeeded {
                let releaseAt = done + policy.ttlMinutes * 60
                state.active.append(Active(principal: f.principal, action: trigger.action, alert: alert.id, releaseAt: releaseAt, environment: env))
                try? save()
                finished("executed", "ran \(action.command.joined(separator: " "))", expires: releaseAt, exitCode: 0)
            } else {
                try? save()
                finished("failed", result.timedOut ? "timed out after \(Int(action.timeoutSeconds)) s" : "exited \(result.exitCode.map(String.init) ?? "without starting")",
                         exitCode: result.exitCode)
            }
        }
    }

    /// Queues the release program of every action whose TTL has passed.
    public func releaseExpired() throws {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        for a in state.active where a.releaseAt <= now && !releasing.contains(a.alert) {
            releasing.insert(a.alert)
            worker.submit { [self] in release(a) }
        }
    }

    /// Runs one release (worker thread) and records it.
    private func release(_ a: Active) {
        var r = CommandRunner.Result(exitCode: 0, timedOut: false)
        if let program = policy.actions[a.action]?.release {
            var env = a.environment
            env["VIGIL_PHASE"] = "release"
            r = CommandRunner.run(program + [a.principal, a.alert], environment: env,
                                  timeout: policy.actions[a.action]?.timeoutSeconds ?? 60, logPath: dir + "/quarantine/\(a.alert).log")
        }
        lock.lock()
        defer { lock.unlock() }
        state.active.removeAll { $0.alert == a.alert }
        releasing.remove(a.alert)
        do {
            try save()
            decisions[r.succeeded ? "released" : "release-failed", default: 0] += 1
            let line = ActionRecord.line(id: a.alert, principal: display(a.principal), action: a.action, decision: r.succeeded ? "released" : "release-failed",
                                         reason: r.succeeded ? "TTL of \(Int(policy.ttlMinutes)) min passed" : "release command failed (exit \(r.exitCode.map(String.init) ?? "none"))",
                                         dryRun: false, time: clock(), incident: nil, expires: nil, exitCode: r.exitCode)
            try actions?.write(line)
            try actions?.flush()
            try audit?.append(r.succeeded ? "quarantine-released" : "quarantine-release-failed",
                              [("alert", .string(a.alert)), ("principal", .string(display(a.principal))), ("action", .string(a.action)),
                               ("record", .string(line))])
        } catch {
            FileHandle.standardError.write(Data("vigil: recording the release of \(a.alert) failed: \(error)\n".utf8))
        }
    }

    /// Values for the action's program, as environment variables (also appended to argv: principal
    /// and alert id).
    func environment(_ a: Alert, event: AccessEvent?, phase: String, now: Double) -> [String: String] {
        let f = a.finding
        var env = ["VIGIL_PHASE": phase, "VIGIL_PRINCIPAL": f.principal, "VIGIL_ALERT_ID": a.id, "VIGIL_INCIDENT": a.incident,
                   "VIGIL_SEVERITY": f.severity.name, "VIGIL_KIND": f.kind.rawValue, "VIGIL_RULE": f.rule ?? "",
                   "VIGIL_EVENT_TIME": EventTime.format(f.time), "VIGIL_NOW": EventTime.format(Int64(now * 1000))]
        // arn:aws:iam::123456789012:user/path/name → kind user, name "name".
        let parts = f.principal.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        if parts.count == 6, parts[0] == "arn", parts[2] == "iam" {
            env["VIGIL_ACCOUNT"] = String(parts[4])
            let resource = parts[5]
            if resource.hasPrefix("user/") {
                env["VIGIL_PRINCIPAL_KIND"] = "user"
                env["VIGIL_USER_NAME"] = String(resource.split(separator: "/").last ?? "")
            } else if resource.hasPrefix("role/") {
                env["VIGIL_PRINCIPAL_KIND"] = "role"
                env["VIGIL_ROLE_NAME"] = String(resource.split(separator: "/").last ?? "")
            } else {
                env["VIGIL_PRINCIPAL_KIND"] = "other"
            }
        } else {
            env["VIGIL_PRINCIPAL_KIND"] = "other"
        }
        if let k = event?.accessKeyID, event?.principal == f.principal { env["VIGIL_ACCESS_KEY_ID"] = k }
        return env
    }

    func writeEvidence(_ a: Alert, event: AccessEvent?) throws {
        var o = "{\"alert\":" + a.jsonLine()
        if let e = event {
            o += ",\"trigger\":{\"id\":"
            JSONText.appendString(e.id, to: &o)
            o += ",\"time\":\"\(EventTime.format(e.time))\",\"action\":"
            JSONText.appendString(e.action, to: &o)
            o += ",\"source_ip\":"
            JSONText.appendString(e.sourceIP ?? "", to: &o)
            o += ",\"user_agent\":"
            JSONText.appendString(e.userAgent ?? "", to: &o)
            o += ",\"input\":"
            JSONText.appendString(e.position.input, to: &o)
            o += ",\"offset\":\(e.position.offset),\"line\":\(e.position.line)}"
        }
        o += "}\n"
        let path = dir + "/quarantine/\(a.id).json"
        guard FileManager.default.createFile(atPath: path, contents: Data(o.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ResponderError.cannotOpen(path, errno: errno)
        }
    }

    func purgeEvidence() {
        let d = dir + "/quarantine"
        let cutoff = Date().addingTimeInterval(-policy.evidenceRetentionDays * 86_400)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] {
            let p = d + "/" + name
            if let m = (try? FileManager.default.attributesOfItem(atPath: p))?[.modificationDate] as? Date, m < cutoff {
                unlink(p)
            }
        }
    }

    func save() throws {
        let data = try JSONEncoder().encode(state)
        let path = dir + "/quarantine.json"
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]), rename(tmp, path) == 0 else {
            throw ResponderError.writeFailed(path, errno: errno)
        }
    }

    func write(_ r0: ActionRecord) throws {
        var r = r0
        decisions[r.decision, default: 0] += 1   // callers hold `lock`
        r.alert.finding.principal = display(r.alert.finding.principal)
        try actions?.write(r.line)
        try actions?.flush()
        try audit?.append("quarantine-\(r.decision)", [("alert", .string(r.alert.id)), ("principal", .string(r.alert.finding.principal)),
                                                        ("action", .string(r.action)), ("record", .string(r.line))])
    }
}

/// One `vigil.action/1` record: what Vigil decided about an alert, and why.
struct ActionRecord {
    var alert: Alert
    var action: String
    var decision: String
    var reason: String
    var dryRun: Bool
    var time: Double
    var expires: Double?
    var exitCode: Int32?

    var line: String {
        ActionRecord.line(id: alert.id, principal: alert.finding.principal, action: action, decision: decision, reason: reason,
                          dryRun: dryRun, time: time, incident: alert.incident, expires: expires, exitCode: exitCode)
    }

    static func line(id alertID: String, principal: String, action: String, decision: String, reason: String, dryRun: Bool,
                     time: Double, incident: String?, expires: Double?, exitCode: Int32?) -> String {
        var o = "{\"schema\":\"vigil.action/1\",\"id\":\"\(Digest.sha256Hex("\(alertID)|\(action)|\(decision)", hexDigits: 32))\""
        o += ",\"time\":\"\(EventTime.format(Int64(time * 1000)))\",\"alert\":\"\(alertID)\""
        if let i = incident { o += ",\"incident\":\"\(i)\"" }
        o += ",\"principal\":"
        JSONText.appendString(principal, to: &o)
        o += ",\"action\":"
        JSONText.appendString(action, to: &o)
        o += ",\"decision\":\"\(decision)\",\"dry_run\":\(dryRun),\"reason\":"
        JSONText.appendString(reason, to: &o)
        if let e = expires { o += ",\"expires\":\"\(EventTime.format(Int64(e * 1000)))\"" }
        if let c = exitCode { o += ",\"exit_code\":\(c)" }
        return o + "}"
    }
}

/// Runs closures one after another on its own thread (quarantine programs).
final class SerialWorker: @unchecked Sendable {
    private let cond = NSCondition()
    private var queue: [() -> Void] = []
    private var busy = false

    init() {
        let t = Thread { [self] in loop() }
        t.start()
    }

    func submit(_ job: @escaping () -> Void) {
        cond.lock()
        queue.append(job)
        cond.broadcast()
        cond.unlock()
    }

    /// Waits until the queue is empty and nothing runs.
    func drain() {
        cond.lock()
        while !queue.isEmpty || busy { cond.wait() }
        cond.unlock()
    }

    private func loop() {
        while true {
            cond.lock()
            while queue.isEmpty { cond.wait() }
            let job = queue.removeFirst()
            busy = true
            cond.unlock()
            job()
            cond.lock()
            busy = false
            cond.broadcast()
            cond.unlock()
        }
    }
}
