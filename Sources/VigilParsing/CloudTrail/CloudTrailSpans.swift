import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CloudTrail record read by the fast path: the byte spans of every field Vigil uses, in a
/// fixed-size value (no heap, no Strings). ``CloudTrailParser`` turns it into an event.
///
/// What the fast path refuses (``scan(_:)`` returns nil, and the full parser reads the record): any
/// byte outside ASCII, an escape inside a field Vigil uses, a used field given twice, JSON it
/// cannot read, and nesting deeper than ``SpanScanner/maxDepth``. What it reads, it reads as the full
/// parser (``CloudTrailFields``) does: same fields, same "first `resources` ARN", same first 32
/// request parameters; a differential test holds the two to identical events.
struct CloudTrailSpans {
    /// Fields that are read once; a second occurrence sends the record to the full parser (whose
    /// rule is "last wins").
    enum Slot: Int {
        case eventTime, eventID, eventSource, eventName, region, sourceIP, userAgent, errorCode
        case recipientAccountId, readOnly, bytesIn, bytesOut, consoleLogin
        case idType, idArn, idPrincipalId, idAccountId, idAccessKeyId, idUserName, idInvokedBy, idSourceIdentity, idIssuerArn
    }

    var field = FixedSpans()
    var seen: UInt32 = 0
    /// `@timestamp` (SIEM exports), and whether the key was seen (a second one is refused, as for
    /// the slots).
    var timestamp = ByteSpan.absent
    var timestampSeen = false

    /// The record's time: `eventTime`. A record whose time is only under `@timestamp` goes to the
    /// full parser, which counts that fallback (`--stats` `time_fallback`); this path never sees it.
    var time: ByteSpan { self[.eventTime] }

    /// True when the time would come from `@timestamp` (the fast path declines such records).
    var timeFallsBack: Bool { !self[.eventTime].isPresent && timestamp.isPresent }

    /// The first non-null `ARN`/`arn` of `resources`.
    var resourceARN = ByteSpan.absent
    /// First occurrences, among the first 32 scalar request parameters, of the keys
    /// ``CloudTrailFields/resourceKeys`` names (and `key`), by index in ``requestKeys``.
    var request = RequestSpans()
    var requestCount = 0

    subscript(_ s: Slot) -> ByteSpan {
        get { field[s.rawValue] }
    }

    /// Records `s` for `slot`; false when the slot was already seen.
    @inline(__always) mutating func set(_ slot: Slot, _ value: SpanScanner.Scalar) -> Bool {
        let bit: UInt32 = 1 << UInt32(slot.rawValue)
        if seen & bit != 0 { return false }
        seen |= bit
        switch value {
        case .text(let span): field[slot.rawValue] = span; return true
        case .none: return true
        case .refuse: return false
        }
    }

    /// The request-parameter keys whose values name a resource: `bucketName`, `key`, then the rest
    /// of ``CloudTrailFields/resourceKeys`` in order.
    static let requestKeys: [StaticString] = ["bucketName", "key", "secretId", "functionName", "userName", "roleName",
                                              "policyArn", "snapshotId", "imageId", "instanceId", "keyId", "trailName", "name",
                                              "dBSnapshotIdentifier", "dBInstanceIdentifier", "groupName", "repositoryName",
                                              "queueUrl", "topicArn", "tableName", "clusterName", "roleArn", "flowLogId",
                                              "detectorId", "logGroupName", "stackName", "accessKeyId"]

    /// Reads `record` in one pass; nil when the fast path does not handle it. `s.pos` ends after
    /// the object (the caller checks what follows).
    static func scan(_ s: inout SpanScanner) -> CloudTrailSpans? {
        var r = CloudTrailSpans()
        guard s.open(123) else { return nil }
        if s.close(125) { return r }
        repeat {
            guard let k = s.key() else { return nil }
            guard r.top(&s, k) else { return nil }
        } while s.consume(44)
        guard s.close(125) else { return nil }
        return r
    }

    /// One top-level member. Keys are told apart by length first, then bytes.
    private mutating func top(_ s: inout SpanScanner, _ k: ByteSpan) -> Bool {
        switch k.count {
        case 7: if s.spanIs(k, "eventID") { return set(.eventID, s.scalar()) }
        case 8: if s.spanIs(k, "readOnly") { return set(.readOnly, s.scalar()) }
        case 10:
            if s.spanIs(k, "@timestamp") {
                guard !timestampSeen else { return false }
                timestampSeen = true
                switch s.scalar() {
                case .text(let v): timestamp = v; return true
                case .none: return true
                case .refuse: return false
                }
            }
        case 9:
            if s.spanIs(k, "eventTime") { return set(.eventTime, s.scalar()) }
            if s.spanIs(k, "eventName") { return set(.eventName, s.scalar()) }
            if s.spanIs(k, "awsRegion") { return set(.region, s.scalar()) }
            if s.spanIs(k, "userAgent") { return set(.userAgent, s.scalar()) }
            if s.spanIs(k, "errorCode") { return set(.errorCode, s.scalar()) }
            if s.spanIs(k, "resources") { return resources(&s) }
        case 11: if s.spanIs(k, "eventSource") { return set(.eventSource, s.scalar()) }
        case 12: if s.spanIs(k, "userIdentity") { return s.peek() == 123 ? identity(&s) : s.skipValue() }
        case 15: if s.spanIs(k, "sourceIPAddress") { return set(.sourceIP, s.scalar()) }
        case 16: if s.spanIs(k, "responseElements") { return s.peek() == 123 ? responseElements(&s) : s.skipValue() }
        case 17: if s.spanIs(k, "requestParameters") { return s.peek() == 123 ? requestParameters(&s) : s.skipValue() }
        case 18: if s.spanIs(k, "recipientAccountId") { return set(.recipientAccountId, s.scalar()) }
        case 19: if s.spanIs(k, "additionalEventData") { return s.peek() == 123 ? additionalEventData(&s) : s.skipValue() }
        default: break
        }
        return s.skipValue()
    }

    private mutating func identity(_ s: inout SpanScanner) -> Bool {
        members(&s) { s, k, r in
            switch k.count {
            case 3 where s.spanIs(k, "arn"): return r.set(.idArn, s.scalar())
            case 4 where s.spanIs(k, "type"): return r.set(.idType, s.scalar())
            case 8 where s.spanIs(k, "userName"): return r.set(.idUserName, s.scalar())
            case 9 where s.spanIs(k, "accountId"): return r.set(.idAccountId, s.scalar())
            case 9 where s.spanIs(k, "invokedBy"): return r.set(.idInvokedBy, s.scalar())
            case 11 where s.spanIs(k, "principalId"): return r.set(.idPrincipalId, s.scalar())
            case 11 where s.spanIs(k, "accessKeyId"): return r.set(.idAccessKeyId, s.scalar())
            case 14 where s.spanIs(k, "sourceIdentity"): return r.set(.idSourceIdentity, s.scalar())
            case 14 where s.spanIs(k, "sessionContext"): return s.peek() == 123 ? r.sessionContext(&s) : s.skipValue()
            default: return s.skipValue()
            }
        }
    }

    private mutating func sessionContext(_ s: inout SpanScanner) -> Bool {
        members(&s) { s, k, r in
            if s.spanIs(k, "sourceIdentity") { return r.set(.idSourceIdentity, s.scalar()) }
            guard s.spanIs(k, "sessionIssuer"), s.peek() == 123 else { return s.skipValue() }
            return r.members(&s) { s, k, r in
                s.spanIs(k, "arn") ? r.set(.idIssuerArn, s.scalar()) : s.skipValue()
            }
        }
    }

    private mutating func resources(_ s: inout SpanScanner) -> Bool {
        guard s.peek() == 91 else { return s.skipValue() }
        guard s.open(91) else { return false }
        if s.close(93) { return true }
        repeat {
            let ok: Bool
            if s.peek() == 123 {
                ok = members(&s) { s, k, r in
                    guard !r.resourceARN.isPresent, s.spanIs(k, "ARN") || s.spanIs(k, "arn") else { return s.skipValue() }
                    switch s.scalar() {
                    case .text(let v): r.resourceARN = v; return true
                    case .none: return true
                    case .refuse: return false
                    }
                }
            } else {
                ok = s.skipValue()
            }
            guard ok else { return false }
        } while s.consume(44)
        return s.close(93)
    }

    private mutating func requestParameters(_ s: inout SpanScanner) -> Bool {
        members(&s) { s, k, r in
            let c = s.peek()
            // As the full parser: only string and number members are kept, the first 32 of them.
            guard c == 34 || c == 45 || (c >= 48 && c <= 57) else { return s.skipValue() }
            let index = r.requestCount < 32 ? Self.requestIndex(s, k) : nil
            if r.requestCount < 32 { r.requestCount += 1 }
            guard let i = index, !r.request[i].isPresent else {
                return s.skipValue()
            }
            switch s.scalar() {
            case .text(let v): r.request[i] = v; return true
            case .none, .refuse: return false
            }
        }
    }

    private mutating func additionalEventData(_ s: inout SpanScanner) -> Bool {
        members(&s) { s, k, r in
            if s.spanIs(k, "bytesTransferredOut") { return r.set(.bytesOut, s.scalar()) }
            if s.spanIs(k, "bytesTransferredIn") { return r.set(.bytesIn, s.scalar()) }
            return s.skipValue()
        }
    }

    private mutating func responseElements(_ s: inout SpanScanner) -> Bool {
        members(&s) { s, k, r in
            s.spanIs(k, "ConsoleLogin") ? r.set(.consoleLogin, s.scalar()) : s.skipValue()
        }
    }

    /// Walks an object's members through `body` (which must consume each value).
    @inline(__always)
    private mutating func members(_ s: inout SpanScanner, _ body: (inout SpanScanner, ByteSpan, inout CloudTrailSpans) -> Bool) -> Bool {
        guard s.open(123) else { return false }
        if s.close(125) { return true }
        repeat {
            guard let k = s.key(), body(&s, k, &self) else { return false }
        } while s.consume(44)
        return s.close(125)
    }

    /// Index in ``requestKeys`` of the key at `k`, or nil.
    @inline(__always) static func requestIndex(_ s: SpanScanner, _ k: ByteSpan) -> Int? {
        let n = k.count
        guard n >= 3 && n <= 20 else { return nil }
        for (i, lit) in requestKeys.enumerated() where lit.utf8CodeUnitCount == n {
            if memcmp(s.base + Int(k.lower), lit.utf8Start, n) == 0 { return i }
        }
        return nil
    }
}

/// Twenty-two spans inline (one per ``CloudTrailSpans/Slot``), all absent at first.
struct FixedSpans {
    private var storage: (ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan,
                          ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan,
                          ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan)
        = (.absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent,
           .absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent, .absent)

    subscript(_ i: Int) -> ByteSpan {
        get { withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i * MemoryLayout<ByteSpan>.stride, as: ByteSpan.self) } }
        set { withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: i * MemoryLayout<ByteSpan>.stride, as: ByteSpan.self) } }
    }
}

/// Twenty-seven spans inline (one per ``CloudTrailSpans/requestKeys`` entry).
struct RequestSpans {
    private var storage: (FixedSpans, (ByteSpan, ByteSpan, ByteSpan, ByteSpan, ByteSpan)) =
        (FixedSpans(), (.absent, .absent, .absent, .absent, .absent))

    subscript(_ i: Int) -> ByteSpan {
        get { i < 22 ? storage.0[i] : withUnsafeBytes(of: storage.1) { $0.load(fromByteOffset: (i - 22) * 8, as: ByteSpan.self) } }
        set {
            if i < 22 { storage.0[i] = newValue; return }
            withUnsafeMutableBytes(of: &storage.1) { $0.storeBytes(of: newValue, toByteOffset: (i - 22) * 8, as: ByteSpan.self) }
        }
    }
}
