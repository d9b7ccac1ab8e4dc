import CZlib
import CZstd
import Foundation
import VigilCore

/// Paths and helpers for tests: where the package and `../shared` are, and compressors to build
/// gzip/zstd inputs in memory.
public enum TestSupport {
    /// The package root, found from this file's path (Sources/VigilTestSupport/TestSupport.swift).
    public static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    /// `../shared` beside the package, as CI lays it out.
    public static var shared: String { packageRoot + "/../shared" }

    public static func read(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return Array(d)
    }

    /// Lines of a Panther rule-test fixture as JSON objects.
    public static func fixture(_ name: String) throws -> [[String: Any]] {
        let text = String(decoding: try read(shared + "/fixtures/panther/" + name), as: UTF8.self)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// One gzip member of `bytes` (call repeatedly and concatenate for multi-member files).
    public static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var s = z_stream()
        deflateInit2_(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&s) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&s, UInt(bytes.count))) + 64)
        var input = bytes
        let produced: Int = input.withUnsafeMutableBufferPointer { ib in
            out.withUnsafeMutableBufferPointer { ob in
                s.next_in = ib.baseAddress
                s.avail_in = UInt32(ib.count)
                s.next_out = ob.baseAddress
                s.avail_out = UInt32(ob.count)
                deflate(&s, Z_FINISH)
                return ob.count - Int(s.avail_out)
            }
        }
        return Array(out[0..<produced])
    }

    /// The decompressed bytes of a whole zstd file (one or more frames).
    public static func unzstd(_ bytes: [UInt8]) -> [UInt8] {
        guard let ds = ZSTD_createDStream() else { return [] }
        defer { ZSTD_freeDStream(ds) }
        ZSTD_initDStream(ds)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        bytes.withUnsafeBytes { ib in
            var input = ZSTD_inBuffer(src: ib.baseAddress, size: ib.count, pos: 0)
            while true {
                let (produced, ret): (Int, Int) = chunk.withUnsafeMutableBytes { ob in
                    var o = ZSTD_outBuffer(dst: ob.baseAddress, size: ob.count, pos: 0)
                    let r = ZSTD_decompressStream(ds, &o, &input)
                    return (o.pos, r)
                }
                out += chunk[0..<produced]
                if ZSTD_isError(ret) != 0 || (input.pos == input.size && produced < chunk.count) { break }
            }
        }
        return out
    }

    /// One zstd frame of `bytes`.
    public static func zstd(_ bytes: [UInt8], level: Int32 = 3) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) } }
        return Array(out[0..<n])
    }

    /// A temporary directory for one test.
    public static func tempDir() -> String {
        let p = NSTemporaryDirectory() + "vigil-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    /// A CloudTrail record for tests, with the fields that matter and nothing else.
    public static func cloudTrail(id: String, time: String, user: String = "alice", source: String = "s3",
                                  name: String = "ListBuckets", ip: String = "198.51.100.7",
                                  agent: String = "aws-cli/2.15.30 Python/3.11.8", error: String? = nil,
                                  request: String = "null") -> String {
        var s = "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::123456789012:user/\(user)\",\"accountId\":\"123456789012\",\"accessKeyId\":\"AKIAEXAMPLE\",\"userName\":\"\(user)\"},"
        s += "\"eventTime\":\"\(time)\",\"eventSource\":\"\(source).amazonaws.com\",\"eventName\":\"\(name)\",\"awsRegion\":\"us-east-1\","
        s += "\"sourceIPAddress\":\"\(ip)\",\"userAgent\":\"\(agent)\","
        if let e = error { s += "\"errorCode\":\"\(e)\"," }
        s += "\"requestParameters\":\(request),\"eventID\":\"\(id)\",\"readOnly\":true,\"recipientAccountId\":\"123456789012\"}"
        return s
    }

    /// `userIdentity` of an IAM user calling with its long-term key.
    public static func userIdentity(_ user: String, key: String = "AKIAEXAMPLE", account: String = "123456789012") -> String {
        "{\"type\":\"IAMUser\",\"principalId\":\"AIDAEXAMPLE\(user.uppercased())\",\"arn\":\"arn:aws:iam::\(account):user/\(user)\",\"accountId\":\"\(account)\",\"accessKeyId\":\"\(key)\",\"userName\":\"\(user)\"}"
    }

    /// `userIdentity` of a role session calling with its temporary key.
    public static func sessionIdentity(role: String, session: String, key: String, account: String = "123456789012",
                                       sourceIdentity: String? = nil) -> String {
        var s = "{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLE:\(session)\",\"arn\":\"arn:aws:sts::\(account):assumed-role/\(role)/\(session)\","
        s += "\"accountId\":\"\(account)\",\"accessKeyId\":\"\(key)\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"arn\":\"arn:aws:iam::\(account):role/\(role)\",\"accountId\":\"\(account)\",\"userName\":\"\(role)\"},"
        if let sid = sourceIdentity { s += "\"sourceIdentity\":\"\(sid)\"," }
        s += "\"attributes\":{\"creationDate\":\"2026-03-02T09:00:00Z\",\"mfaAuthenticated\":\"false\"}}}"
        return s
    }

    /// A CloudTrail record with any `userIdentity`, request and response (JSON texts).
    public static func cloudTrail(id: String, time: String, identity: String, source: String, name: String,
                                  ip: String = "198.51.100.7", request: String = "null", response: String = "null",
                                  readOnly: Bool = false) -> String {
        var s = "{\"eventVersion\":\"1.09\",\"userIdentity\":\(identity),\"eventTime\":\"\(time)\",\"eventSource\":\"\(source).amazonaws.com\","
        s += "\"eventName\":\"\(name)\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"\(ip)\",\"userAgent\":\"aws-cli/2.15.30 Python/3.11.8\","
        s += "\"requestParameters\":\(request),\"responseElements\":\(response),\"eventID\":\"\(id)\",\"readOnly\":\(readOnly),"
        s += "\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"123456789012\"}"
        return s
    }

    /// An `sts:AssumeRole` record: `identity` assumes `role` (a role name in account 123456789012)
    /// and receives temporary key `newKey` (with a session token that must never surface).
    public static func assumeRole(id: String, time: String, identity: String, role: String, session: String, newKey: String,
                                  duration: Int = 3600, ip: String = "198.51.100.7") -> String {
        let arn = "arn:aws:iam::123456789012:role/\(role)"
        let request = "{\"roleArn\":\"\(arn)\",\"roleSessionName\":\"\(session)\",\"durationSeconds\":\(duration)}"
        let response = "{\"credentials\":{\"accessKeyId\":\"\(newKey)\",\"sessionToken\":\"IQoJb3JpZ2luX2VjSECRET\(newKey)\",\"expiration\":\"Mar 2, 2026, 10:00:00 AM\"},"
            + "\"assumedRoleUser\":{\"assumedRoleId\":\"AROAEXAMPLE:\(session)\",\"arn\":\"arn:aws:sts::123456789012:assumed-role/\(role)/\(session)\"}}"
        return cloudTrail(id: id, time: time, identity: identity, source: "sts", name: "AssumeRole", ip: ip, request: request, response: response)
    }

    /// alice (long-term key) → role/build → role/deploy → role/admin, each hop signed with the key the
    /// last one minted, then the last session stops the trail: the role chain of the detection issue.
    public static func threeHopChainThenStopLogging() -> [String] {
        let alice = userIdentity("alice", key: "AKIAALICE0000000001")
        return [
            assumeRole(id: "hop-1", time: "2026-03-02T09:00:00Z", identity: alice, role: "build", session: "alice", newKey: "ASIABUILD0000000001"),
            assumeRole(id: "hop-2", time: "2026-03-02T09:01:00Z",
                       identity: sessionIdentity(role: "build", session: "alice", key: "ASIABUILD0000000001"),
                       role: "deploy", session: "ci-4411", newKey: "ASIADEPLOY000000001"),
            assumeRole(id: "hop-3", time: "2026-03-02T09:02:00Z",
                       identity: sessionIdentity(role: "deploy", session: "ci-4411", key: "ASIADEPLOY000000001"),
                       role: "admin", session: "botocore-session-1709370000", newKey: "ASIAADMIN0000000001"),
            cloudTrail(id: "stop-1", time: "2026-03-02T09:03:00Z",
                       identity: sessionIdentity(role: "admin", session: "botocore-session-1709370000", key: "ASIAADMIN0000000001"),
                       source: "cloudtrail", name: "StopLogging", request: "{\"name\":\"management-trail\"}"),
        ]
    }
}
