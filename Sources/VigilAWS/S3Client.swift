import Foundation

/// One entry of a listing.
public struct S3Entry: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var lastModified: String
}

/// One page of `ListObjectsV2`: objects, common prefixes (with a delimiter), and the token for the
/// next page when the listing was cut.
public struct S3ListPage: Sendable, Equatable {
    public var entries: [S3Entry]
    public var prefixes: [String]
    public var continuation: String?
}

/// The two S3 calls Vigil makes, `ListObjectsV2` and `GetObject`, on one bucket.
///
/// Addressing: AWS's own endpoints are virtual-hosted (`bucket.s3.region.amazonaws.com`), as AWS
/// asks of new clients; a custom endpoint (`AWS_ENDPOINT_URL[_S3]`: an S3-compatible store, a
/// test server) is path-style (`endpoint/bucket/key`), which every such store accepts.
public final class S3Client: Sendable {
    public let bucket: String
    public let client: AWSClient
    private let pathStyle: Bool
    /// Most keys asked for per page (S3's own maximum is 1,000).
    public let pageSize: Int

    public init(bucket: String, chain: CredentialChain, credentials: CredentialProvider, transport: HTTPTransport, pageSize: Int = 1000) throws {
        self.bucket = bucket
        self.pageSize = pageSize
        let region = chain.region() ?? "us-east-1"
        let custom = chain.nonEmpty("AWS_ENDPOINT_URL_S3") ?? chain.nonEmpty("AWS_ENDPOINT_URL")
        pathStyle = custom != nil || bucket.contains(".")
        let endpoint = try custom != nil || bucket.contains(".") ? chain.endpoint(service: "s3", region: region)
                                                                  : "https://\(bucket).s3.\(region).amazonaws.com"
        client = AWSClient(service: "s3", region: region, endpoint: endpoint, credentials: credentials, transport: transport)
    }

    private func path(_ key: String) -> String {
        let k = SigV4.uriEncode(key, keepSlash: true)
        return pathStyle ? "/" + SigV4.uriEncode(bucket, keepSlash: false) + "/" + k : "/" + k
    }

    /// One page of keys under `prefix` after `startAfter` (exclusive), in S3's key order.
    public func list(prefix: String, delimiter: String? = nil, startAfter: String? = nil, continuation: String? = nil) throws -> S3ListPage {
        var q: [(name: String, value: String)] = [("list-type", "2"), ("max-keys", String(pageSize))]
        if !prefix.isEmpty { q.append(("prefix", prefix)) }
        if let d = delimiter { q.append(("delimiter", d)) }
        if let s = startAfter, continuation == nil { q.append(("start-after", s)) }
        if let c = continuation { q.append(("continuation-token", c)) }
        let answer = try client.call("ListObjectsV2 s3://\(bucket)/\(prefix)", path: pathStyle ? "/" + SigV4.uriEncode(bucket, keepSlash: false) : "/", query: q)
        return try Self.parseList(answer.text, operation: "ListObjectsV2 s3://\(bucket)/\(prefix)")
    }

    static func parseList(_ xml: String, operation: String) throws -> S3ListPage {
        let doc = xml[...]
        guard doc.contains("<ListBucketResult") else { throw AWSError.badAnswer(operation: operation, reason: "no ListBucketResult") }
        var entries: [S3Entry] = []
        for c in XMLText.all("Contents", in: doc) {
            guard let key = XMLText.value("Key", in: c) else { continue }
            entries.append(S3Entry(key: key, size: Int64(XMLText.value("Size", in: c) ?? "") ?? 0,
                                   lastModified: XMLText.value("LastModified", in: c) ?? ""))
        }
        let prefixes = XMLText.all("CommonPrefixes", in: doc).compactMap { XMLText.value("Prefix", in: $0) }
        let truncated = XMLText.value("IsTruncated", in: doc) == "true"
        let token = truncated ? XMLText.value("NextContinuationToken", in: doc) : nil
        if truncated && token == nil { throw AWSError.badAnswer(operation: operation, reason: "a cut listing without a continuation token") }
        return S3ListPage(entries: entries, prefixes: prefixes, continuation: token)
    }

    /// Every key under `prefix` (all pages), only those after `startAfter` when given; with the
    /// number of list calls it took.
    public func listAll(prefix: String, startAfter: String? = nil) throws -> (entries: [S3Entry], calls: Int) {
        var out: [S3Entry] = []
        var token: String?
        var calls = 0
        repeat {
            let page = try list(prefix: prefix, startAfter: startAfter, continuation: token)
            calls += 1
            out += page.entries
            token = page.continuation
        } while token != nil
        return (out, calls)
    }

    /// The object's bytes, as stored.
    public func get(_ key: String) throws -> [UInt8] {
        try client.call("GetObject s3://\(bucket)/\(key)", path: path(key)).body
    }
}
