import VigilCore

/// Picks the parser for each record: the one named by `--format`, or, with `auto`, the one whose
/// fields the record carries (so a directory or stream mixing CloudTrail, GCP, Azure and S3 access
/// logs works; a line that is not JSON is tried as an S3 server access log).
///
/// Detection reads top-level keys only until one is decisive (CloudTrail records usually open with
/// `eventVersion`, so this costs a few bytes); a record no parser recognises is `unknown-format`.
public struct FormatParser: RecordParser, Sendable {
    /// The fixed format, or nil for auto-detection per record.
    public let format: SourceFormat?
    let cloudtrail: CloudTrailParser
    let gcp: GCPAuditParser
    let azure: AzureParser
    let s3: S3AccessParser
    let mapped: MappedParser?

    /// `rawFormats`: formats whose every record keeps its raw bytes (Sigma rules read any field of
    /// them); other records keep theirs only for `detailActions`, or all with `keepAllRaw`.
    public init(format: SourceFormat?, detailActions: Set<String> = [], keepAllRaw: Bool = false, mapping: FieldMapping? = nil,
                rawFormats: Set<SourceFormat> = []) {
        self.format = format
        mapped = mapping.map { MappedParser(mapping: $0, keepAllRaw: keepAllRaw) }
        s3 = S3AccessParser(keepAllRaw: keepAllRaw)
        cloudtrail = CloudTrailParser(detailActions: detailActions, keepAllRaw: keepAllRaw || rawFormats.contains(.cloudtrail))
        gcp = GCPAuditParser(detailActions: detailActions, keepAllRaw: keepAllRaw || rawFormats.contains(.gcpAudit))
        azure = AzureParser(detailActions: detailActions,
                            keepAllRaw: keepAllRaw || !rawFormats.isDisjoint(with: [.azureActivity, .entra, .azureStorage]))
    }

    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        var path = ParsePath.full
        return parse(record, position: position, path: &path)
    }

    /// ``parse(_:position:)``, saying which path read the record.
    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition, path: inout ParsePath,
                      symbols: SymbolTable = .uninterned) -> ParseResult {
        path = .full
        let detected = format ?? FormatDetector.detect(record)
        let result = parse(record, as: detected, position: position, path: &path, symbols: symbols)
        // A record a forwarder wrapped (EventBridge `detail`, Splunk HEC `event`, an Elastic hit's
        // `_source`, a JSON text under `message`): the record inside, when it parses.
        guard case .bad = result, format != .s3Access, detected != .s3Access, let inner = Envelope.unwrap(record) else { return result }
        return inner.withUnsafeBytes { b in
            var innerPath = ParsePath.full
            let r = parse(b, as: format ?? FormatDetector.detect(b), position: position, path: &innerPath, symbols: symbols)
            guard case .event = r else { return result }
            path = .unwrapped
            return r
        }
    }

    private func parse(_ record: UnsafeRawBufferPointer, as f: SourceFormat?, position: SourcePosition, path: inout ParsePath,
                       symbols: SymbolTable) -> ParseResult {
        switch f {
        case .cloudtrail: return cloudtrail.parse(record, position: position, path: &path, symbols: symbols)
        case .gcpAudit: return gcp.parse(record, position: position).withKeys()
        case .azureActivity, .entra, .azureStorage: return azure.parse(record, position: position).withKeys()
        case .s3Access: return s3.parse(record, position: position, path: &path, symbols: symbols)
        case .mapped: return (mapped?.parse(record, position: position) ?? .bad("no-mapping")).withKeys()
        case nil: return .bad("unknown-format")
        }
    }

}

extension FormatParser {
    /// A JSON line read without framing it first, when its format has a fast path (CloudTrail):
    /// see ``CloudTrailParser/parseLine(_:position:countOnly:)``. Other formats: `.fallback`.
    public func parseLine(_ line: UnsafeRawBufferPointer, position: SourcePosition, countOnly: Bool,
                          symbols: SymbolTable = .uninterned) -> LineParse {
        switch format ?? FormatDetector.detect(line) {
        case .cloudtrail: return cloudtrail.parseLine(line, position: position, countOnly: countOnly, symbols: symbols)
        default: return .fallback
        }
    }
}

/// Which log format a JSON record is, from its top-level keys.
public enum FormatDetector {
    /// `owner bucket [dd/Mon/yyyy:…` — two space-separated tokens, then `[`.
    static func looksLikeS3Access(_ b: UnsafeRawBufferPointer) -> Bool {
        var spaces = 0
        for (i, c) in b.prefix(400).enumerated() where c == 32 {
            spaces += 1
            if spaces == 2 { return i + 1 < b.count && b[i + 1] == 91 }
        }
        return false
    }

    public static func detect(_ record: UnsafeRawBufferPointer) -> SourceFormat? {
        var s = JSONScanner(record)
        // Not JSON: the only line format Vigil reads is the S3 server access log, whose third field
        // is the bracketed time.
        if let c = s.peek(), c != 123 && c != 91 { return looksLikeS3Access(record) ? .s3Access : nil }
        var found: SourceFormat?
        var azureHints = 0
        _ = s.object { s, k in
            if s.keyIs(k, "eventVersion") || s.keyIs(k, "eventSource") || s.keyIs(k, "eventName")
                || s.keyIs(k, "userIdentity") || s.keyIs(k, "awsRegion") {
                found = .cloudtrail
                return false   // decisive: stop scanning
            }
            if s.keyIsCI(k, "protoPayload") || s.keyIsCI(k, "insertId") || s.keyIsCI(k, "logName") {
                found = .gcpAudit
                return false
            }
            if s.keyIsCI(k, "operationName") || s.keyIsCI(k, "resourceId") || s.keyIsCI(k, "callerIpAddress")
                || s.keyIsCI(k, "resultType") || s.keyIsCI(k, "correlationId") || s.keyIsCI(k, "tenantId") {
                azureHints += 1
            }
            return s.skipValue()
        }
        if found == nil && azureHints > 0 { found = .azureActivity }
        return found
    }
}
