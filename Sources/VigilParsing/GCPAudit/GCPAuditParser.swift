import VigilCore

/// Parses a GCP Cloud Audit Logs `LogEntry` (Admin Activity, Data Access, GCS included).
///
/// Principal: `protoPayload.authenticationInfo.principalEmail`; when a service account acted on
/// someone's behalf the delegation chain's first principal is kept as the session name. Action:
/// `serviceName` without `.googleapis.com` + `:` + `methodName`. Outcome from `status.code`
/// (7 = PERMISSION_DENIED, 16 = UNAUTHENTICATED → denied) and `authorizationInfo[].granted`.
/// Keys are matched case-insensitively (some exports lowercase them). O(record length).
public struct GCPAuditParser: RecordParser, Sendable {
    public var raw: RawRecordPolicy

    public init(detailActions: Set<String> = [], keepAllRaw: Bool = false) {
        raw = RawRecordPolicy(detailActions: detailActions, keepAll: keepAllRaw)
    }

    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        var f = GCPFields()
        if let bad = JSONRecord.read(record, { s, k in f.read(&s, k) }) { return .bad(bad) }
        guard f.sawPayload else { return .bad("not-gcp-audit") }
        guard let timeText = f.timestamp, let time = EventTime.parse(timeText) else { return .bad("missing-time") }
        let service = (f.serviceName ?? "unknown").replacingSuffix(".googleapis.com")
        let action = service + ":" + (f.methodName ?? "unknown")
        let id = f.insertId.flatMap { $0.isEmpty ? nil : $0 } ?? ("h:" + Digest.sha256Hex(record, hexDigits: 16))
        let principal = f.principalEmail.flatMap { $0.isEmpty ? nil : $0 }
        var outcome = Outcome.success
        var code: String?
        if let c = f.statusCode, c != 0 {
            outcome = (c == 7 || c == 16) ? .denied : .error
            code = f.statusMessage.map { "\(c): \($0)" } ?? String(c)
        } else if f.denied {
            outcome = .denied
            code = "PERMISSION_DENIED"
        }
        var e = AccessEvent(time: time, id: id, source: .gcpAudit, principal: principal ?? "unknown:gcp-audit",
                            principalType: principal.map { $0.hasSuffix(".gserviceaccount.com") ? "serviceAccount" : "user" } ?? "unknown",
                            action: action, outcome: outcome, position: position)
        e.actorName = principal
        e.sessionName = f.delegatedBy
        e.account = f.projectId
        e.resource = f.resourceName
        e.sourceIP = f.callerIp
        e.userAgent = f.userAgent
        e.region = f.location
        e.errorCode = code
        e.readOnly = f.logName.map { $0.contains("data_access") }
        if raw.keeps(action) { e.raw = Array(record) }
        return .event(e)
    }
}

/// The LogEntry fields Vigil reads.
struct GCPFields {
    var timestamp: String?
    var insertId: String?
    var logName: String?
    var sawPayload = false
    var serviceName: String?
    var methodName: String?
    var resourceName: String?
    var principalEmail: String?
    var delegatedBy: String?
    var callerIp: String?
    var userAgent: String?
    var statusCode: Int64?
    var statusMessage: String?
    var denied = false
    var projectId: String?
    var location: String?

    mutating func read(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIsCI(k, "timestamp") { return str(&s, &timestamp) }
        if s.keyIsCI(k, "insertId") { return str(&s, &insertId) }
        if s.keyIsCI(k, "logName") { return str(&s, &logName) }
        if s.keyIsCI(k, "protoPayload"), s.peek() == 123 {
            sawPayload = true
            return s.object { s, k in payload(&s, k) }
        }
        if s.keyIsCI(k, "resource"), s.peek() == 123 {
            return s.object { s, k in
                if s.keyIs(k, "labels"), s.peek() == 123 {
                    return s.object { s, k in
                        if s.keyIs(k, "project_id") { return str(&s, &projectId) }
                        if s.keyIs(k, "location") || s.keyIs(k, "region") || s.keyIs(k, "zone") {
                            var v: String?
                            guard str(&s, &v) else { return false }
                            if location == nil { location = v }
                            return true
                        }
                        return s.skipValue()
                    }
                }
                return s.skipValue()
            }
        }
        return s.skipValue()
    }

    mutating func payload(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIsCI(k, "serviceName") { return str(&s, &serviceName) }
        if s.keyIsCI(k, "methodName") { return str(&s, &methodName) }
        if s.keyIsCI(k, "resourceName") { return str(&s, &resourceName) }
        if s.keyIsCI(k, "authenticationInfo"), s.peek() == 123 {
            return s.object { s, k in
                if s.keyIsCI(k, "principalEmail") { return str(&s, &principalEmail) }
                if s.keyIsCI(k, "serviceAccountDelegationInfo"), s.peek() == 91 {
                    return s.array { s in
                        guard s.peek() == 123 else { return s.skipValue() }
                        return s.object { s, k in
                            if s.keyIsCI(k, "firstPartyPrincipal"), s.peek() == 123 {
                                return s.object { s, k in
                                    if s.keyIsCI(k, "principalEmail"), delegatedBy == nil { return str(&s, &delegatedBy) }
                                    return s.skipValue()
                                }
                            }
                            return s.skipValue()
                        }
                    }
                }
                return s.skipValue()
            }
        }
        if s.keyIsCI(k, "requestMetadata"), s.peek() == 123 {
            return s.object { s, k in
                if s.keyIsCI(k, "callerIp") { return str(&s, &callerIp) }
                if s.keyIsCI(k, "callerSuppliedUserAgent") { return str(&s, &userAgent) }
                return s.skipValue()
            }
        }
        if s.keyIsCI(k, "status"), s.peek() == 123 {
            return s.object { s, k in
                if s.keyIsCI(k, "code") { statusCode = s.int64(); return true }
                if s.keyIsCI(k, "message") { return str(&s, &statusMessage) }
                return s.skipValue()
            }
        }
        if s.keyIsCI(k, "authorizationInfo"), s.peek() == 91 {
            return s.array { s in
                guard s.peek() == 123 else { return s.skipValue() }
                return s.object { s, k in
                    if s.keyIsCI(k, "granted") {
                        guard let t = s.scalarText() else { return false }
                        if t == "false" { denied = true }
                        return true
                    }
                    return s.skipValue()
                }
            }
        }
        return s.skipValue()
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
