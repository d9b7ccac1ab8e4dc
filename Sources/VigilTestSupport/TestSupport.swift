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
}
