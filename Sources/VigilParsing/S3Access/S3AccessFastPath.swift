import VigilCore

/// The fast path for S3 server access lines: the fields as byte spans (fixed size, no heap), and
/// the event built from them with the reader's ``SymbolTable``, as ``S3AccessParser/parseFull``
/// builds it from Strings.
///
/// Refused (nil: the full parser reads the line): any byte outside ASCII (the full parser checks
/// UTF-8 and names the dead letter), and a backslash inside a quoted field (the full tokenizer
/// unescapes it). Everything else is tokenized by the full tokenizer's own rules: spaces, CR and LF
/// between fields; `"…"` without its quotes; `[…]` with its brackets; other fields up to the next
/// space. A differential test holds the two paths to identical events.
struct S3AccessSpans {
    /// Spans of the first ``kept`` fields, and how many fields the line has (the full tokenizer
    /// stops after 65).
    var spans = FixedSpans()
    var count = 0
    static let kept = 22 + 1

    subscript(_ i: Int) -> ByteSpan { i < 22 ? spans[i] : host }
    /// Field 22 (the Host header), kept beside the fixed 22.
    var host = ByteSpan.absent

    static func scan(_ b: UnsafeRawBufferPointer) -> S3AccessSpans? {
        var r = S3AccessSpans()
        var i = 0
        let n = b.count
        func add(_ lower: Int, _ upper: Int) {
            let s = ByteSpan(lower: lower, upper: upper)
            if r.count < 22 { r.spans[r.count] = s } else if r.count == 22 { r.host = s }
            r.count += 1
        }
        while i < n {
            while i < n && (b[i] == 32 || b[i] == 13 || b[i] == 10) { i += 1 }
            if i >= n { break }
            let c = b[i]
            if c >= 128 { return nil }
            if c == 34 {
                i += 1
                let start = i
                while i < n && b[i] != 34 {
                    if b[i] == 92 || b[i] >= 128 { return nil }
                    i += 1
                }
                add(start, i)
                i += 1
            } else if c == 91 {
                let start = i
                while i < n && b[i] != 93 {
                    if b[i] >= 128 { return nil }
                    i += 1
                }
                i = min(n, i + 1)
                add(start, i)
            } else {
                let start = i
                while i < n && b[i] != 32 {
                    if b[i] >= 128 { return nil }
                    i += 1
                }
                add(start, i)
            }
            if r.count > 64 { break }
        }
        // Whatever follows the 65th field is never tokenized, but the full parser checks it as UTF-8.
        while i < n {
            if b[i] >= 128 { return nil }
            i += 1
        }
        return r
    }
}

extension S3AccessParser {
    /// The fast path alone: nil when it does not handle the line.
    public func parseFast(_ record: UnsafeRawBufferPointer, position: SourcePosition, symbols: SymbolTable = .uninterned) -> ParseResult? {
        guard let f = S3AccessSpans.scan(record) else { return nil }
        return S3AccessFastBuild(f: f, b: record, symbols: symbols).build(keepAllRaw: keepAllRaw, position: position)
    }
}

/// Builds the event of a tokenized line, step for step as ``S3AccessParser/parseFull``.
struct S3AccessFastBuild {
    let f: S3AccessSpans
    let b: UnsafeRawBufferPointer
    let symbols: SymbolTable

    @inline(__always) func bytes(_ i: Int) -> UnsafeRawBufferPointer { f[i].bytes(in: b) }
    @inline(__always) func text(_ i: Int) -> String { String(decoding: bytes(i), as: UTF8.self) }
    @inline(__always) func symbol(_ i: Int) -> String { symbols.value(bytes(i)) }
    @inline(__always) func isDash(_ i: Int) -> Bool { f[i].count == 1 && b[Int(f[i].lower)] == 45 }
    @inline(__always) func starts(_ i: Int, _ lit: StaticString) -> Bool {
        let x = bytes(i)
        return x.count >= lit.utf8CodeUnitCount && x.prefix(lit.utf8CodeUnitCount).elementsEqual(UnsafeRawBufferPointer(start: lit.utf8Start, count: lit.utf8CodeUnitCount))
    }

    func build(keepAllRaw: Bool, position: SourcePosition) -> ParseResult {
        guard f.count >= 10, starts(2, "["), starts(6, "REST.") || starts(6, "WEBSITE.") || starts(6, "BATCH.") || starts(6, "S3.") else {
            return .bad("not-s3-access")
        }
        guard let time = S3AccessFastBuild.time(bytes(2)) else { return .bad("missing-time") }
        let status = Int(text(9)) ?? 0
        let hasKey = !isDash(7)
        let (principal, type, actor, session) = self.principal()
        let action = self.action(hasKey: hasKey)
        var outcome = Outcome.success
        if status == 403 || status == 401 { outcome = .denied } else if status >= 400 || status == 0 { outcome = .error }
        let id = !isDash(5) && f[5].count > 0 ? text(5) : "h:" + Digest.sha256Hex(b, hexDigits: 16)
        var e = AccessEvent(time: time, id: id, source: .s3Access, principal: principal, principalType: type,
                            action: action, outcome: outcome, position: position)
        e.actorName = actor
        e.sessionName = session
        e.resource = hasKey ? "arn:aws:s3:::\(text(1))/\(text(7))" : "arn:aws:s3:::\(text(1))"
        e.sourceIP = isDash(3) ? nil : symbol(3)
        e.errorCode = f.count > 10 && !isDash(10) ? symbol(10) : (outcome == .success ? nil : String(status))
        e.bytesOut = f.count > 11 ? Int64(text(11)) : nil
        e.userAgent = f.count > 16 && !isDash(16) ? symbol(16) : nil
        e.readOnly = starts(6, "REST.GET.") || starts(6, "REST.HEAD.")
        if f.count > 22, let r = region(bytes(22)) { e.region = r }
        if keepAllRaw { e.raw = Array(b) }
        e.stampKeys()
        return .event(e)
    }

    /// `[06/Feb/2019:00:00:38 +0000]` → ms since the epoch: the digits copied into
    /// `2019-02-06T00:00:38+00:00` and read by ``EventTime``, as the full parser does with Strings.
    static func time(_ t: UnsafeRawBufferPointer) -> Int64? {
        guard t.count >= 28, t[0] == 91, t[22] == 43 || t[22] == 45 else { return nil }
        func digits(_ i: Int, _ n: Int) -> Bool { (i..<(i + n)).allSatisfy { t[$0] >= 48 && t[$0] <= 57 } }
        guard digits(1, 2), digits(8, 4), digits(13, 2), digits(16, 2), digits(19, 2), digits(23, 2), digits(25, 2),
              let month = months.firstIndex(where: { m in (0..<3).allSatisfy { m[$0] == t[4 + $0] } }) else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 25) { iso in
            var n = 0
            func put(_ i: Int, _ count: Int) { for k in i..<(i + count) { iso[n] = t[k]; n += 1 } }
            func put(_ c: UInt8) { iso[n] = c; n += 1 }
            put(8, 4); put(45)
            put(UInt8(48 + (month + 1) / 10)); put(UInt8(48 + (month + 1) % 10)); put(45)
            put(1, 2); put(84)
            put(13, 2); put(58); put(16, 2); put(58); put(19, 2)
            put(t[22]); put(23, 2); put(58); put(25, 2)
            return EventTime.parse(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: iso[0..<n])))
        }
    }

    static let months: [[UInt8]] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map { Array($0.utf8) }

    /// As ``S3AccessParser/principal(_:ip:)``: anonymous (by address), an ARN (assumed-role
    /// sessions folded), an AWS service, or a canonical user.
    func principal() -> (String, String, String?, String?) {
        let req = bytes(4)
        if req.count == 0 || isDash(4) {
            return (S3AccessFastBuild.prefixed("anonymous:", bytes(3), symbols), "Anonymous", nil, nil)
        }
        if req.starts(with: S3AccessFastBuild.arnPrefix) {
            if let p = CloudTrailIdentity.assumedRoleParts(req) {
                let (key, _) = CloudTrailFastBuild.roleKey(p, symbols)
                let session = p.session.map { String(decoding: $0, as: UTF8.self) }
                return (key, "AssumedRole", session, session)
            }
            let root = req.count >= 5 && req.suffix(5).elementsEqual(S3AccessFastBuild.rootSuffix)
            return (symbols.value(req), root ? "Root" : "IAMUser", CloudTrailIdentity.lastPathComponent(req), nil)
        }
        if S3AccessFastBuild.contains(req, CloudTrailFastBuild.amazonaws) {
            let name = symbols.value(req)
            return (S3AccessFastBuild.prefixed("service:", req, symbols), "AWSService", name, nil)
        }
        return (S3AccessFastBuild.prefixed("s3-canonical:", req, symbols), "CanonicalUser", nil, nil)
    }

    /// `s3:` and CloudTrail's name for the operation (ACLs split by whether a key is named).
    func action(hasKey: Bool) -> String {
        let op = bytes(6)
        if let i = S3AccessFastBuild.operationIndex.find(StableHash.fnv1a(op), where: { S3AccessFastBuild.operationNames[$0].elementsEqual(op) }) {
            let o = S3AccessFastBuild.operationNames[i]
            if o.elementsEqual("REST.GET.ACL".utf8) { return hasKey ? "s3:GetObjectAcl" : "s3:GetBucketAcl" }
            if o.elementsEqual("REST.PUT.ACL".utf8) { return hasKey ? "s3:PutObjectAcl" : "s3:PutBucketAcl" }
            return S3AccessFastBuild.operationActions[i]
        }
        return S3AccessFastBuild.prefixed("s3:", op, symbols)
    }

    /// The operations ``S3AccessParser/operations`` maps (and the two ACL ones), by key.
    static let operationNames: [[UInt8]] = (Array(S3AccessParser.operations.keys) + ["REST.GET.ACL", "REST.PUT.ACL"]).sorted().map { Array($0.utf8) }
    static let operationActions: [String] = operationNames.map { "s3:" + (S3AccessParser.operations[String(decoding: $0, as: UTF8.self)] ?? "") }
    static let operationIndex: KeyIndex = {
        var k = KeyIndex(capacity: operationNames.count)
        for (i, n) in operationNames.enumerated() { k.insert(StableHash.fnv1a(n), i) }
        return k
    }()

    /// As ``S3AccessParser/region(_:)``: the part after the first `s3…` label of the host, when it
    /// has a `-` and `amazonaws` follows it. Labels are the non-empty runs between dots.
    func region(_ host: UnsafeRawBufferPointer) -> String? {
        // The labels after the first `s3…` one, read as they come (no array of labels).
        var i = 0
        func nextLabel() -> UnsafeRawBufferPointer? {
            while i < host.count && host[i] == 46 { i += 1 }
            guard i < host.count else { return nil }
            let start = i
            while i < host.count && host[i] != 46 { i += 1 }
            return UnsafeRawBufferPointer(rebasing: host[start..<i])
        }
        while let l = nextLabel() {
            guard l.count >= 2, l[0] == 115, l[1] == 51 else { continue }
            guard let r = nextLabel(), let a = nextLabel(), r.contains(45), a.elementsEqual("amazonaws".utf8) else { return nil }
            return symbols.value(r)
        }
        return nil
    }

    static let arnPrefix: [UInt8] = Array("arn:".utf8)
    static let rootSuffix: [UInt8] = Array(":root".utf8)

    static func contains(_ b: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard b.count >= needle.count else { return false }
        for i in 0...(b.count - needle.count) where b[i] == needle[0] {
            if b[i..<(i + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    /// `prefix + value` from the table.
    static func prefixed(_ prefix: StaticString, _ value: UnsafeRawBufferPointer, _ symbols: SymbolTable) -> String {
        CloudTrailFastBuild.composed(prefix.utf8CodeUnitCount + value.count, symbols) { w in
            w.put(prefix)
            w.put(value)
        }.0
    }
}
