import VigilCore

/// Parses one S3 server access log line: the space-delimited records AWS writes, with a bracketed
/// time and quoted request line, referrer and user agent. Every field after `user_agent` is optional.
///
/// Principal: the requester ARN (assumed-role sessions fold to their role, as for CloudTrail), a
/// canonical user ID as `s3-canonical:ID`, or — for `-`, an anonymous request — `anonymous:IP`, so
/// anonymous traffic still has per-source baselines. Operations are named as CloudTrail names them
/// (`REST.GET.OBJECT` → `s3:GetObject`) so rules and baselines see one vocabulary. O(line length).
public struct S3AccessParser: RecordParser, Sendable {
    /// Keep each line's bytes on its event (`vigil route` ships them to the workers).
    let keepAllRaw: Bool

    public init(keepAllRaw: Bool = false) { self.keepAllRaw = keepAllRaw }

    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        var path = ParsePath.full
        return parse(record, position: position, path: &path)
    }

    /// The fast path (``S3AccessSpans``), or the full parser for the lines it refuses; `path` says
    /// which read the line.
    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition, path: inout ParsePath,
                      symbols: SymbolTable = .uninterned) -> ParseResult {
        if let r = parseFast(record, position: position, symbols: symbols) {
            path = .fast
            return r
        }
        path = .full
        return parseFull(record, position: position).withKeys()
    }

    /// The full parser alone (what the fast path is checked against).
    public func parseFull(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        guard UTF8Check.isValid(record) else { return .bad("invalid-utf8") }
        let f = S3AccessTokenizer.fields(record)
        guard f.count >= 10, f[2].hasPrefix("["), f[6].hasPrefix("REST.") || f[6].hasPrefix("WEBSITE.") || f[6].hasPrefix("BATCH.") || f[6].hasPrefix("S3.") else {
            return .bad("not-s3-access")
        }
        guard let time = Self.time(f[2]) else { return .bad("missing-time") }
        let bucket = f[1], ip = f[3], requester = f[4], requestID = f[5], op = f[6], key = f[7]
        let status = Int(f[9]) ?? 0
        let (principal, type, actor, session) = Self.principal(requester, ip: ip)
        let action = "s3:" + Self.operation(op, hasKey: key != "-")
        var outcome = Outcome.success
        if status == 403 || status == 401 { outcome = .denied } else if status >= 400 || status == 0 { outcome = .error }
        let id = requestID != "-" && !requestID.isEmpty ? requestID : "h:" + Digest.sha256Hex(record, hexDigits: 16)
        var e = AccessEvent(time: time, id: id, source: .s3Access, principal: principal, principalType: type,
                            action: action, outcome: outcome, position: position)
        e.actorName = actor
        e.sessionName = session
        e.resource = key == "-" ? "arn:aws:s3:::\(bucket)" : "arn:aws:s3:::\(bucket)/\(key)"
        e.sourceIP = ip == "-" ? nil : ip
        e.errorCode = f.count > 10 && f[10] != "-" ? f[10] : (outcome == .success ? nil : String(status))
        e.bytesOut = f.count > 11 ? Int64(f[11]) : nil
        e.userAgent = f.count > 16 && f[16] != "-" ? f[16] : nil
        e.readOnly = op.hasPrefix("REST.GET.") || op.hasPrefix("REST.HEAD.")
        if let host = f.count > 22 ? f[22] : nil, let r = Self.region(host) { e.region = r }
        if keepAllRaw { e.raw = Array(record) }
        return .event(e)
    }

    /// `[06/Feb/2019:00:00:38 +0000]` → ms since the epoch.
    static func time(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        guard b.count >= 28, b.first == 91 else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func num(_ i: Int, _ n: Int) -> Int? {
            var v = 0
            for k in i..<(i + n) { guard b[k] >= 48 && b[k] <= 57 else { return nil }; v = v * 10 + Int(b[k] - 48) }
            return v
        }
        guard let d = num(1, 2), let mi = months.firstIndex(of: String(decoding: b[4..<7], as: UTF8.self)),
              let y = num(8, 4), let h = num(13, 2), let m = num(16, 2), let sec = num(19, 2),
              b[22] == 43 || b[22] == 45, let oh = num(23, 2), let om = num(25, 2) else { return nil }
        let iso = String(format4: y) + "-" + String(format2: mi + 1) + "-" + String(format2: d) + "T" + String(format2: h) + ":"
            + String(format2: m) + ":" + String(format2: sec) + (b[22] == 43 ? "+" : "-") + String(format2: oh) + ":" + String(format2: om)
        return EventTime.parse(iso)
    }

    static func principal(_ requester: String, ip: String) -> (String, String, String?, String?) {
        if requester == "-" || requester.isEmpty { return ("anonymous:\(ip)", "Anonymous", nil, nil) }
        if requester.hasPrefix("arn:") {
            if let folded = CloudTrailIdentity.foldAssumedRole(requester) { return (folded.key, "AssumedRole", folded.actor, folded.session) }
            let name = requester.split(separator: "/").last.map(String.init)
            return (requester, requester.hasSuffix(":root") ? "Root" : "IAMUser", name, nil)
        }
        if requester.contains(".amazonaws.com") { return ("service:" + requester, "AWSService", requester, nil) }
        return ("s3-canonical:" + requester, "CanonicalUser", nil, nil)
    }

    static let operations: [String: String] = [
        "REST.GET.OBJECT": "GetObject", "REST.PUT.OBJECT": "PutObject", "REST.DELETE.OBJECT": "DeleteObject",
        "REST.POST.MULTI_OBJECT_DELETE": "DeleteObjects", "REST.HEAD.OBJECT": "HeadObject", "REST.COPY.OBJECT": "CopyObject",
        "REST.COPY.OBJECT_GET": "GetObject", "REST.GET.BUCKET": "ListObjects", "REST.HEAD.BUCKET": "HeadBucket",
        "REST.GET.BUCKETPOLICY": "GetBucketPolicy", "REST.PUT.BUCKETPOLICY": "PutBucketPolicy",
        "REST.DELETE.BUCKETPOLICY": "DeleteBucketPolicy", "REST.GET.VERSIONING": "GetBucketVersioning",
        "REST.PUT.VERSIONING": "PutBucketVersioning", "REST.GET.LOCATION": "GetBucketLocation",
        "REST.GET.LOGGING_STATUS": "GetBucketLogging", "REST.PUT.LOGGING_STATUS": "PutBucketLogging",
        "REST.GET.ENCRYPTION": "GetBucketEncryption", "REST.DELETE.ENCRYPTION": "DeleteBucketEncryption",
        "REST.PUT.PUBLIC_ACCESS_BLOCK": "PutBucketPublicAccessBlock", "REST.DELETE.PUBLIC_ACCESS_BLOCK": "DeleteBucketPublicAccessBlock",
        "REST.POST.UPLOADS": "CreateMultipartUpload", "REST.PUT.PART": "UploadPart", "REST.POST.UPLOAD": "CompleteMultipartUpload",
        "REST.GET.SERVICE": "ListBuckets", "REST.GET.LIFECYCLE": "GetBucketLifecycle", "REST.PUT.LIFECYCLE": "PutBucketLifecycle",
    ]

    /// CloudTrail's name for an access-log operation (ACLs split by whether a key is named).
    static func operation(_ op: String, hasKey: Bool) -> String {
        if op == "REST.GET.ACL" { return hasKey ? "GetObjectAcl" : "GetBucketAcl" }
        if op == "REST.PUT.ACL" { return hasKey ? "PutObjectAcl" : "PutBucketAcl" }
        return operations[op] ?? op
    }

    /// `bucket.s3.us-west-1.amazonaws.com` → `us-west-1`.
    static func region(_ host: String) -> String? {
        let parts = host.split(separator: ".")
        guard let i = parts.firstIndex(where: { $0.hasPrefix("s3") }), i + 2 < parts.count,
              parts[i + 1].contains("-"), parts[i + 2] == "amazonaws" else { return nil }
        return String(parts[i + 1])
    }
}

/// Splits an access-log line into fields: space-delimited, `[...]` and `"..."` kept whole (quotes
/// removed, `\"` unescaped). O(length).
enum S3AccessTokenizer {
    static func fields(_ b: UnsafeRawBufferPointer) -> [String] {
        var out: [String] = []
        var i = 0
        let n = b.count
        while i < n {
            while i < n && (b[i] == 32 || b[i] == 13 || b[i] == 10) { i += 1 }
            if i >= n { break }
            if b[i] == 34 {
                var field: [UInt8] = []
                i += 1
                while i < n && b[i] != 34 {
                    if b[i] == 92 && i + 1 < n { field.append(b[i + 1]); i += 2; continue }
                    field.append(b[i]); i += 1
                }
                i += 1
                out.append(String(decoding: field, as: UTF8.self))
            } else if b[i] == 91 {
                let start = i
                while i < n && b[i] != 93 { i += 1 }
                i = min(n, i + 1)
                out.append(String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
            } else {
                let start = i
                while i < n && b[i] != 32 { i += 1 }
                out.append(String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
            }
            if out.count > 64 { break }
        }
        return out
    }
}

extension String {
    init(format2 v: Int) { self = v < 10 ? "0\(v)" : String(v) }
    init(format4 v: Int) { let digits = String(v); self = String(repeating: "0", count: Swift.max(0, 4 - digits.count)) + digits }
}
