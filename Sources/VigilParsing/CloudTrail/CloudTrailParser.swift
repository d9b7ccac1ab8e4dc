import VigilCore

/// Parses one CloudTrail record (as found in JSON lines or a `Records` array) into an ``AccessEvent``.
///
/// Two paths, one result. The fast path (``CloudTrailSpans``) reads the fields Vigil uses as byte
/// spans in one validating pass and nothing else; records it does not handle (non-ASCII bytes,
/// escapes in a used field, a used field given twice, anything malformed) go to the full parser
/// (``CloudTrailFields`` over ``JSONScanner``), which decodes escapes, checks UTF-8 and names the
/// dead-letter reason. The fast path builds its event from the spans (``CloudTrailFastBuild``:
/// keys from the bytes, repeated values from the reader's ``SymbolTable``), the full parser from
/// Strings; a differential test holds the two to identical events, keys included, over every
/// fixture, SampleLogs and thousands of mutations, so the event cannot depend on the path.
///
/// `detailActions` names the actions whose raw record the detector wants to inspect in depth
/// (policy documents, request parameters); only those events carry a copy of their bytes.
/// Cost: O(record length); allocations on the fast path: the event's values not found in the table.
public struct CloudTrailParser: RecordParser, Sendable {
    public var raw: RawRecordPolicy

    /// `detailActions`: actions whose raw record is kept; `keepAllRaw`: keep every record's bytes
    /// (tests and tools).
    public init(detailActions: Set<String> = [], keepAllRaw: Bool = false) {
        raw = RawRecordPolicy(detailActions: detailActions, keepAll: keepAllRaw)
    }

    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        var path = ParsePath.fast
        return parse(record, position: position, path: &path)
    }

    /// ``parse(_:position:)``, saying which path read the record.
    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition, path: inout ParsePath,
                      symbols: SymbolTable = .uninterned) -> ParseResult {
        if let event = parseFast(record, position: position, symbols: symbols) {
            path = .fast
            return event
        }
        path = .full
        var f = CloudTrailFields()
        if let bad = JSONRecord.read(record, { s, key in f.read(&s, key) }) { return .bad(bad) }
        if f.eventTime == nil && f.timestamp != nil { path = .timeFallback }
        return build(f, record, position)
    }

    /// The full parser alone (what the fast path is checked against).
    public func parseFull(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        var f = CloudTrailFields()
        if let bad = JSONRecord.read(record, { s, key in f.read(&s, key) }) { return .bad(bad) }
        return build(f, record, position)
    }

    /// The fast path alone: nil when it does not handle the record. `symbols` supplies the Strings
    /// of repeated values (the reader's table; by default none are shared).
    public func parseFast(_ record: UnsafeRawBufferPointer, position: SourcePosition, symbols: SymbolTable = .uninterned) -> ParseResult? {
        guard record.count > 0 else { return nil }
        var s = SpanScanner(record)
        guard let spans = CloudTrailSpans.scan(&s), !spans.timeFallsBack, s.atEndAfterBlanks() else { return nil }
        return CloudTrailFastBuild(r: spans, record: record, symbols: symbols).build(self, position: position)
    }

    /// One line of a JSON-lines input, read by the fast path without framing it first: when the line
    /// holds exactly one record it handles (blanks may follow), its result and the record's bytes
    /// (without the trailing blanks, as the framer would have cut it). With `countOnly`
    /// (`--parse-only`) an event is checked (its time parses) but not built.
    public func parseLine(_ line: UnsafeRawBufferPointer, position: SourcePosition, countOnly: Bool,
                          symbols: SymbolTable = .uninterned) -> LineParse {
        guard line.count > 0 else { return .fallback }
        var s = SpanScanner(line)
        guard let spans = CloudTrailSpans.scan(&s), !spans.timeFallsBack else { return .fallback }
        let end = s.pos
        guard s.atEndAfterBlanks() else { return .fallback }
        let record = UnsafeRawBufferPointer(rebasing: line[0..<end])
        if countOnly {
            let time = spans.time
            guard time.isPresent, EventTime.parse(time.bytes(in: record)) != nil else { return .record(.bad("missing-time"), record) }
            return .counted
        }
        return .record(CloudTrailFastBuild(r: spans, record: record, symbols: symbols).build(self, position: position), record)
    }

    private func build(_ f: CloudTrailFields, _ record: UnsafeRawBufferPointer, _ position: SourcePosition) -> ParseResult {
        // A time that does not parse is no more usable than none (Contract: `missing-time`).
        guard let time = (f.eventTime ?? f.timestamp).flatMap(EventTime.parse) else { return .bad("missing-time") }

        let identity = f.identity.canonical()
        let action = (f.eventSource.map(CloudTrailParser.serviceName) ?? "unknown") + ":" + (f.eventName ?? "unknown")
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
        e.stampKeys()
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

/// Which parser read a record: counted per run in `--stats` (`parse_fast`, `parse_full`).
public enum ParsePath: Sendable {
    /// The one-pass span reader.
    case fast
    /// The full parser (escapes, non-ASCII, duplicates, other formats, dead letters).
    case full
    /// The full parser, the time taken from `@timestamp` (a SIEM export without `eventTime`).
    case timeFallback
    /// The full parser, on the record a forwarder's envelope carried (``Envelope``).
    case unwrapped
}

/// What the fast path made of one JSON line (``CloudTrailParser/parseLine(_:position:countOnly:)``).
public enum LineParse {
    /// The line held one record: its event or dead-letter reason, and the record's bytes.
    case record(ParseResult, UnsafeRawBufferPointer)
    /// The line held one record that makes an event (only with `countOnly`).
    case counted
    /// Not handled here: frame the line as usual and parse what comes out.
    case fallback
}
