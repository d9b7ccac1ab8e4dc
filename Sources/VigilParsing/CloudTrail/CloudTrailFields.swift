import VigilCore

/// The CloudTrail fields Vigil reads, gathered during one pass over a record.
struct CloudTrailFields {
    var eventTime: String?
    /// The event time already parsed (the fast path reads it from its bytes; nil: parse `eventTime`).
    var time: Int64?
    /// `service:eventName`, when the fast path built it from the bytes in one piece.
    var action: String?
    var eventID: String?
    var eventSource: String?
    var eventName: String?
    var region: String?
    var sourceIP: String?
    var userAgent: String?
    var errorCode: String?
    var readOnly: Bool?
    var recipientAccountId: String?
    var resourceARN: String?
    var request: [(String, String)] = []
    var bytesIn: Int64?
    var bytesOut: Int64?
    var consoleLoginResult: String?
    var identity = CloudTrailIdentity()

    /// `service:eventName` from the two spans (the service is the event source without
    /// `.amazonaws.com`; `unknown` stands for a missing part), built as one String: the same text
    /// as the full parser's `serviceName(eventSource) + ":" + eventName`.
    static func action(source: ByteSpan, name: ByteSpan, in record: UnsafeRawBufferPointer) -> String {
        var service = source.isPresent ? source.bytes(in: record) : UnsafeRawBufferPointer(unknown)
        let suffix = amazonaws
        if service.count >= suffix.count, service.suffix(suffix.count).elementsEqual(suffix) {
            service = UnsafeRawBufferPointer(rebasing: service.dropLast(suffix.count))
        }
        let op = name.isPresent ? name.bytes(in: record) : UnsafeRawBufferPointer(unknown)
        return String(unsafeUninitializedCapacity: service.count + 1 + op.count) { out in
            var n = 0
            for b in service { out[n] = b; n += 1 }
            out[n] = 58
            n += 1
            for b in op { out[n] = b; n += 1 }
            return n
        }
    }

    static let amazonaws: [UInt8] = Array(".amazonaws.com".utf8)
    static let unknownText: StaticString = "unknown"
    static var unknown: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: unknownText.utf8Start, count: unknownText.utf8CodeUnitCount) }

    /// Request-parameter keys that name the resource acted on, most specific first.
    static let resourceKeys = ["bucketName", "secretId", "functionName", "userName", "roleName", "policyArn",
                               "snapshotId", "imageId", "instanceId", "keyId", "trailName", "name",
                               "dBSnapshotIdentifier", "dBInstanceIdentifier", "groupName", "repositoryName",
                               "queueUrl", "topicArn", "tableName", "clusterName", "roleArn", "flowLogId",
                               "detectorId", "logGroupName", "stackName", "accessKeyId"]

    init() {}

    /// The same fields from the fast path's spans (ASCII, unescaped: each span is the value).
    init(_ r: CloudTrailSpans, in record: UnsafeRawBufferPointer) {
        func text(_ slot: CloudTrailSpans.Slot) -> String? { r[slot].string(in: record) }
        if r[.eventTime].isPresent { time = EventTime.parse(r[.eventTime].bytes(in: record)) }
        eventID = text(.eventID)
        action = Self.action(source: r[.eventSource], name: r[.eventName], in: record)
        region = text(.region)
        sourceIP = text(.sourceIP)
        userAgent = text(.userAgent)
        errorCode = text(.errorCode)
        recipientAccountId = text(.recipientAccountId)
        if r[.readOnly].isPresent { readOnly = r[.readOnly].equals("true", in: record) }
        resourceARN = r.resourceARN.string(in: record)
        for i in 0..<CloudTrailSpans.requestKeys.count where r.request[i].isPresent {
            let key = CloudTrailSpans.requestKeys[i]
            request.append((String(decoding: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount), as: UTF8.self),
                            r.request[i].string(in: record)!))
        }
        bytesIn = text(.bytesIn).flatMap(JSONScanner.integer(fromText:))
        bytesOut = text(.bytesOut).flatMap(JSONScanner.integer(fromText:))
        consoleLoginResult = text(.consoleLogin)
        identity.type = text(.idType)
        identity.arn = text(.idArn)
        identity.principalId = text(.idPrincipalId)
        identity.accountId = text(.idAccountId)
        identity.accessKeyId = text(.idAccessKeyId)
        identity.userName = text(.idUserName)
        identity.invokedBy = text(.idInvokedBy)
        identity.sourceIdentity = text(.idSourceIdentity)
        identity.issuerArn = text(.idIssuerArn)
    }

    mutating func read(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIs(k, "eventTime") { return str(&s, &eventTime) }
        if s.keyIs(k, "eventID") { return str(&s, &eventID) }
        if s.keyIs(k, "eventSource") { return str(&s, &eventSource) }
        if s.keyIs(k, "eventName") { return str(&s, &eventName) }
        if s.keyIs(k, "awsRegion") { return str(&s, &region) }
        if s.keyIs(k, "sourceIPAddress") { return str(&s, &sourceIP) }
        if s.keyIs(k, "userAgent") { return str(&s, &userAgent) }
        if s.keyIs(k, "errorCode") { return str(&s, &errorCode) }
        if s.keyIs(k, "recipientAccountId") { return str(&s, &recipientAccountId) }
        if s.keyIs(k, "readOnly") {
            guard let t = s.scalarText() else { return false }
            readOnly = t.map { $0 == "true" }
            return true
        }
        if s.keyIs(k, "userIdentity") {
            if s.peek() == 123 { return s.object { s, k in identity.read(&s, k) } }
            return s.skipValue()
        }
        if s.keyIs(k, "requestParameters") {
            if s.peek() == 123 {
                return s.object { s, k in
                    if s.peek() == 34 || s.peek() == 45 || (s.peek().map { $0 >= 48 && $0 <= 57 } ?? false) {
                        let key = String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[k]), as: UTF8.self)
                        guard let t = s.scalarText() else { return false }
                        if let v = t, request.count < 32 { request.append((key, v)) }
                        return true
                    }
                    return s.skipValue()
                }
            }
            return s.skipValue()
        }
        if s.keyIs(k, "resources") {
            if s.peek() == 91 {
                return s.array { s in
                    guard s.peek() == 123 else { return s.skipValue() }
                    return s.object { s, k in
                        if resourceARN == nil && (s.keyIs(k, "ARN") || s.keyIs(k, "arn")) { return str(&s, &resourceARN) }
                        return s.skipValue()
                    }
                }
            }
            return s.skipValue()
        }
        if s.keyIs(k, "additionalEventData") {
            if s.peek() == 123 {
                return s.object { s, k in
                    if s.keyIs(k, "bytesTransferredOut") { bytesOut = s.int64(); return true }
                    if s.keyIs(k, "bytesTransferredIn") { bytesIn = s.int64(); return true }
                    return s.skipValue()
                }
            }
            return s.skipValue()
        }
        if s.keyIs(k, "responseElements") {
            if s.peek() == 123 {
                return s.object { s, k in
                    if s.keyIs(k, "ConsoleLogin") { return str(&s, &consoleLoginResult) }
                    return s.skipValue()
                }
            }
            return s.skipValue()
        }
        return s.skipValue()
    }

    func resourceFromRequest() -> String? {
        if let bucket = request.first(where: { $0.0 == "bucketName" })?.1 {
            if let key = request.first(where: { $0.0 == "key" })?.1 { return "arn:aws:s3:::\(bucket)/\(key)" }
            return "arn:aws:s3:::\(bucket)"
        }
        for k in Self.resourceKeys.dropFirst() {
            if let v = request.first(where: { $0.0 == k })?.1, !v.isEmpty { return v }
        }
        return nil
    }
}

/// Reads a string (or null) into `into`; false on malformed JSON. Non-string scalars keep their text.
func str(_ s: inout JSONScanner, _ into: inout String?) -> Bool {
    guard let t = s.scalarText() else { return false }
    into = t
    return true
}
