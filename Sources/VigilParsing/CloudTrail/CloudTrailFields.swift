import VigilCore

/// The CloudTrail fields Vigil reads, gathered during one pass over a record.
struct CloudTrailFields {
    var eventTime: String?
    /// `@timestamp`: where a SIEM export (Logstash, Elastic, OpenSearch) put the time when it moved
    /// `eventTime` (Contract: the record's time is `eventTime`, or this when it is absent).
    var timestamp: String?
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

    /// Request-parameter keys that name the resource acted on, most specific first.
    static let resourceKeys = ["bucketName", "secretId", "functionName", "userName", "roleName", "policyArn",
                               "snapshotId", "imageId", "instanceId", "keyId", "trailName", "name",
                               "dBSnapshotIdentifier", "dBInstanceIdentifier", "groupName", "repositoryName",
                               "queueUrl", "topicArn", "tableName", "clusterName", "roleArn", "flowLogId",
                               "detectorId", "logGroupName", "stackName", "accessKeyId"]

    init() {}

    mutating func read(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIs(k, "eventTime") { return str(&s, &eventTime) }
        if s.keyIs(k, "@timestamp") { return str(&s, &timestamp) }
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
