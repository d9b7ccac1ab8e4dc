import VigilCore

/// The fast path's event builder: from the spans of ``CloudTrailSpans`` straight to an
/// ``AccessEvent`` with its ``EventKeys``, taking repeated values from a ``SymbolTable``.
///
/// What it saves against building every field as a String first: the identity fields that only
/// decide the principal (ARN, principal id, issuer) are never copied when the ARN decides it; the
/// principal, action, client and access key are found in the table by the hash of their bytes
/// (computed once, and kept as the event's key); time and client family are read from the bytes.
/// What it must keep: the exact event the full parser builds (``CloudTrailParser/parseFull``), field
/// for field and key for key. The rules of that builder are followed step by step below, and the
/// differential tests hold the two to it over every fixture and mutation.
struct CloudTrailFastBuild {
    let r: CloudTrailSpans
    let record: UnsafeRawBufferPointer
    let symbols: SymbolTable

    @inline(__always) func present(_ s: CloudTrailSpans.Slot) -> Bool { r[s].isPresent }
    @inline(__always) func bytes(_ s: CloudTrailSpans.Slot) -> UnsafeRawBufferPointer { r[s].bytes(in: record) }
    @inline(__always) func text(_ s: CloudTrailSpans.Slot) -> String? { r[s].string(in: record) }
    /// A field's String from the table (for values that repeat across records).
    @inline(__always) func symbol(_ s: CloudTrailSpans.Slot) -> String? {
        r[s].isPresent ? symbols.value(r[s].bytes(in: record)) : nil
    }

    func build(_ parser: CloudTrailParser, position: SourcePosition) -> ParseResult {
        // A time that does not parse is no more usable than none (Contract: `missing-time`).
        guard r.time.isPresent, let time = EventTime.parse(r.time.bytes(in: record)) else { return .bad("missing-time") }
        let (principal, principalKey, actor, session) = identity()
        let (action, actionKey) = self.action()
        let id: String
        let idKey: UInt64
        if present(.eventID) && r[.eventID].count > 0 {
            id = text(.eventID)!
            idKey = StableHash.fnv1a(bytes(.eventID))
        } else {
            id = "h:" + Digest.sha256Hex(record, hexDigits: 16)
            idKey = StableHash.fnv1a(id)
        }

        var outcome = Outcome.success
        var code: String?
        if present(.errorCode) && r[.errorCode].count > 0 {
            let c = symbol(.errorCode)!
            code = c
            outcome = CloudTrailParser.isDenial(c) ? .denied : .error
        } else if r[.consoleLogin].equals("Failure", in: record) {
            outcome = .error
            code = "ConsoleLoginFailure"
        }

        var e = AccessEvent(time: time, id: id, source: .cloudtrail, principal: principal,
                            principalType: symbol(.idType) ?? "Unknown", action: action, outcome: outcome,
                            position: position)
        e.actorName = actor
        e.sessionName = session
        e.accessKeyID = symbol(.idAccessKeyId)
        e.sourceIdentity = text(.idSourceIdentity)
        e.account = symbol(present(.idAccountId) ? .idAccountId : .recipientAccountId)
        e.logAccount = symbol(.recipientAccountId)
        let resource = self.resource()
        e.resource = resource
        e.sourceIP = symbol(.sourceIP)
        e.userAgent = symbol(.userAgent)
        // The region's key comes with its String (hashed once).
        var regionKey = Self.noRegionKey
        if present(.region) { (e.region, regionKey) = symbols.string(bytes(.region)) }
        e.errorCode = code
        e.bytesIn = text(.bytesIn).flatMap(JSONScanner.integer(fromText:))
        e.bytesOut = text(.bytesOut).flatMap(JSONScanner.integer(fromText:))
        if present(.readOnly) { e.readOnly = r[.readOnly].equals("true", in: record) }
        if parser.raw.keeps(action, key: actionKey) { e.raw = Array(record) }
        e.keys = EventKeys(id: idKey, principal: principalKey, action: actionKey,
                           resource: resource.map(StableHash.fnv1a) ?? actionKey,
                           region: regionKey,
                           network: networkKey(e.sourceIP), agent: agentKey(e.userAgent))
        return .event(e)
    }

    /// `service:eventName` (the service is the event source without `.amazonaws.com`; `unknown`
    /// stands for a missing part), from the table, and its key.
    func action() -> (String, UInt64) {
        var service = present(.eventSource) ? bytes(.eventSource) : Self.unknown
        let suffix = Self.amazonaws
        if service.count >= suffix.count, service.suffix(suffix.count).elementsEqual(suffix) {
            service = UnsafeRawBufferPointer(rebasing: service.dropLast(suffix.count))
        }
        let op = present(.eventName) ? bytes(.eventName) : Self.unknown
        return Self.joined(service, ":", op, symbols)
    }

    /// The canonical principal (and its key), the acting name and the session name, as
    /// ``CloudTrailIdentity/canonical()`` gives them. Its two common cases are read from the bytes:
    /// an assumed-role session ARN (folded to its role) and an IAM user with an ARN. The others
    /// build the identity's Strings and ask the general routine.
    func identity() -> (String, UInt64, String?, String?) {
        if present(.idArn) {
            let arn = bytes(.idArn)
            if let f = CloudTrailIdentity.assumedRoleParts(arn) {
                let (key, hash) = Self.roleKey(f, symbols)
                let session = f.session.map { String(decoding: $0, as: UTF8.self) }
                return (key, hash, session, session)
            }
            if r[.idType].equals("IAMUser", in: record) && arn.count > 0 {
                let (key, hash) = symbols.string(arn)
                let actor = symbol(.idUserName) ?? CloudTrailIdentity.lastPathComponent(arn)
                return (key, hash, actor, nil)
            }
        }
        var id = CloudTrailIdentity()
        id.type = text(.idType)
        id.arn = text(.idArn)
        id.principalId = text(.idPrincipalId)
        id.accountId = text(.idAccountId)
        id.userName = text(.idUserName)
        id.invokedBy = text(.idInvokedBy)
        id.issuerArn = text(.idIssuerArn)
        let c = id.canonical()
        return (c.key, StableHash.fnv1a(c.key), c.actor, c.session)
    }

    /// The first `resources` ARN, else what the request parameters name (as
    /// ``CloudTrailFields/resourceFromRequest()``): an S3 bucket (and key), or the first non-empty
    /// value of the other resource keys, in their order.
    func resource() -> String? {
        if r.resourceARN.isPresent { return r.resourceARN.string(in: record) }
        let bucket = r.request[0]
        if bucket.isPresent {
            let b = bucket.string(in: record)!
            if let key = r.request[1].string(in: record) { return "arn:aws:s3:::\(b)/\(key)" }
            return "arn:aws:s3:::\(b)"
        }
        for i in 2..<CloudTrailSpans.requestKeys.count where r.request[i].isPresent && r.request[i].count > 0 {
            return r.request[i].string(in: record)
        }
        return nil
    }

    func networkKey(_ ip: String?) -> UInt64 {
        guard present(.sourceIP), let k = AttributeKeys.ipv4NetworkKey(bytes(.sourceIP)) else { return AttributeKeys.networkKey(ip) }
        return k
    }

    func agentKey(_ ua: String?) -> UInt64 {
        guard present(.userAgent), let k = AttributeKeys.familyKey(bytes(.userAgent)) else { return AttributeKeys.userAgentFamilyKey(ua) }
        return k
    }

    static let noRegionKey = StableHash.fnv1a("-")
    static let amazonaws: [UInt8] = Array(".amazonaws.com".utf8)
    static let unknownText: StaticString = "unknown"
    static var unknown: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: unknownText.utf8Start, count: unknownText.utf8CodeUnitCount) }

    /// `arn:PART:iam::ACCT:role/ROLE` of a folded session ARN, from the table.
    static func roleKey(_ f: (partition: UnsafeRawBufferPointer, account: UnsafeRawBufferPointer, role: UnsafeRawBufferPointer,
                              session: UnsafeRawBufferPointer?), _ symbols: SymbolTable) -> (String, UInt64) {
        composed(16 + f.partition.count + f.account.count + f.role.count, symbols) { w in
            w.put("arn:")
            w.put(f.partition)
            w.put(":iam::")
            w.put(f.account)
            w.put(":role/")
            w.put(f.role)
        }
    }

    /// `a + sep + b` from the table.
    static func joined(_ a: UnsafeRawBufferPointer, _ sep: StaticString, _ b: UnsafeRawBufferPointer, _ symbols: SymbolTable) -> (String, UInt64) {
        composed(a.count + sep.utf8CodeUnitCount + b.count, symbols) { w in
            w.put(a)
            w.put(sep)
            w.put(b)
        }
    }

    /// A value of `length` bytes written by `fill` into scratch memory (on the stack when small),
    /// then taken from the table: nothing is allocated when the value is known.
    static func composed(_ length: Int, _ symbols: SymbolTable, _ fill: (inout Writer) -> Void) -> (String, UInt64) {
        withUnsafeTemporaryAllocation(byteCount: max(length, 1), alignment: 1) { buf in
            var w = Writer(buffer: buf)
            fill(&w)
            return symbols.string(UnsafeRawBufferPointer(rebasing: buf[0..<w.at]))
        }
    }

    /// Appends bytes to scratch memory sized for them.
    struct Writer {
        let buffer: UnsafeMutableRawBufferPointer
        var at = 0

        mutating func put(_ b: UnsafeRawBufferPointer) {
            guard b.count > 0 else { return }
            UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + b.count)]).copyMemory(from: b)
            at += b.count
        }

        mutating func put(_ s: StaticString) { put(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }
    }
}
