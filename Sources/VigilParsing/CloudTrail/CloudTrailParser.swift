import VigilCore

/// Parses one CloudTrail record (as found in JSON lines or a `Records` array) into an ``AccessEvent``.
///
/// Reads about fifteen fields byte by byte and validates the rest as JSON without decoding it.
/// `detailActions` names the actions whose raw record the detector wants to inspect in depth
/// (policy documents, request parameters); only those events carry a copy of their bytes.
/// Cost: O(record length); allocations: the strings kept in the event.
public struct CloudTrailParser: RecordParser, Sendable {
    public var raw: RawRecordPolicy

    /// `detailActions`: actions whose raw record is kept; `keepAllRaw`: keep every record's bytes
    /// (tests and tools).
    public init(detailActions: Set<String> = [], keepAllRaw: Bool = false) {
        raw = RawRecordPolicy(detailActions: detailActions, keepAll: keepAllRaw)
    }

    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        var f = CloudTrailFields()
        if let bad = JSONRecord.read(record, { s, key in f.read(&s, key) }) { return .bad(bad) }
        guard let timeText = f.eventTime else { return .bad("missing-time") }
        // A time that does not parse is no more usable than none (Contract: `missing-time`).
        guard let time = EventTime.parse(timeText) else { return .bad("missing-time") }

        let identity = f.identity.canonical()
        let service = f.eventSource.map(CloudTrailParser.serviceName) ?? "unknown"
        let action = service + ":" + (f.eventName ?? "unknown")
        let id = f.eventID.flatMap { $0.isEmpty ? nil : $0 } ?? ("h:" + Digest.sha256Hex(record, hexDigits: 16))

        var outcome = Outcome.success
        var code = f.errorCode
        if let c = code, !c.isEmpty {
            outcome = CloudTrailParser.isDenial(c) ? .denied : .error
        } else {
            code = nil
            if f.consoleLoginResult == "Failure" { outcome = .error; code = "ConsoleLoginFailure" }
        }

        var e = AccessEvent(time: time, id: id, source: .cloudtrail, principal: identity.key,
                            principalType: f.identity.type ?? "Unknown", action: action, outcome: outcome,
                            position: position)
        e.actorName = identity.actor
        e.sessionName = identity.session
        e.accessKeyID = f.identity.accessKeyId
        e.sourceIdentity = f.identity.sourceIdentity
        e.account = f.identity.accountId ?? f.recipientAccountId
        e.logAccount = f.recipientAccountId
        e.resource = f.resourceARN ?? f.resourceFromRequest()
        e.sourceIP = f.sourceIP
        e.userAgent = f.userAgent
        e.region = f.region
        e.errorCode = code
        e.bytesIn = f.bytesIn
        e.bytesOut = f.bytesOut
        e.readOnly = f.readOnly
        if raw.keeps(action) { e.raw = Array(record) }
        return .event(e)
    }

    /// `iam.amazonaws.com` → `iam`; other hosts are kept whole.
    public static func serviceName(_ eventSource: String) -> String {
        if eventSource.hasSuffix(".amazonaws.com") { return String(eventSource.dropLast(14)) }
        return eventSource
    }

    /// Error codes that mean authorization refused the call.
    public static func isDenial(_ code: String) -> Bool {
        code.contains("AccessDenied") || code.contains("UnauthorizedOperation") || code == "Unauthorized"
            || code.contains("UnauthorizedAccess") || code == "Forbidden"
    }
}
