import Crypto
import VigilCore

/// One HTTP request as AWS Signature Version 4 sees it, before and after signing.
///
/// `path` is the path as it goes on the wire (already percent-encoded once: for S3 that is the
/// object key encoded once, with its `/` kept); `query` holds decoded name–value pairs in any
/// order; `headers` any order and case (a repeated name keeps its values in order).
public struct SignableRequest: Sendable {
    public var method: String
    public var host: String
    public var path: String
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` (S3 over TLS).
    public var payloadHash: String

    public init(method: String, host: String, path: String, query: [(name: String, value: String)] = [],
                headers: [(name: String, value: String)] = [], payloadHash: String = SigV4.emptyPayloadHash) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// The query string as it goes on the wire: the canonical one (sorted, RFC 3986 encoded), which
    /// every AWS endpoint accepts.
    public var encodedQuery: String { SigV4.canonicalQuery(query) }
}

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`): canonical request, string to sign, signing key,
/// `Authorization` header. Pure: the time is an argument, no I/O.
///
/// Why written here: no Swift AWS SDK resolves on the machines Vigil is built on, and the two calls
/// it needs (S3 `ListObjectsV2`/`GetObject`, SQS `ReceiveMessage`/`DeleteMessage`) need only this.
/// Held to AWS's published test-suite vectors (`SigV4Tests`); intermediate strings are exposed so a
/// mismatch says which line is wrong. Secrets are only ever inputs to HMAC: nothing here formats a
/// secret or a session token into text other than the token's own header.
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Signing time: `20150830T123600Z` and its date `20150830`.
    public struct Stamp: Sendable, Equatable {
        public var amzDate: String
        public var date: String { String(amzDate.prefix(8)) }

        public init(amzDate: String) { self.amzDate = amzDate }

        /// From milliseconds since the epoch (UTC).
        public init(epochMillis ms: Int64) {
            let iso = EventTime.format(ms)   // 2015-08-30T12:36:00.000Z
            let digits = iso.prefix(19).filter { $0 != "-" && $0 != ":" }
            amzDate = String(digits) + "Z"
        }
    }

    /// What signing produced: the headers to add, and the strings that led to them.
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var authorization: String
        /// Headers to send beside the request's own: `X-Amz-Date`, `X-Amz-Security-Token` when the
        /// credentials carry one, `X-Amz-Content-Sha256` for S3, and `Authorization`.
        public var headers: [(name: String, value: String)]
    }

    /// Signs `r` for `service` in `region`. With `s3`, the path is not normalised or encoded again
    /// (S3's rule) and `x-amz-content-sha256` is signed and sent.
    public static func sign(_ r: SignableRequest, credentials: AWSCredentials, region: String, service: String,
                            at stamp: Stamp, s3: Bool = false) -> Signed {
        var extra: [(name: String, value: String)] = [("X-Amz-Date", stamp.amzDate)]
        if s3 { extra.append(("X-Amz-Content-Sha256", r.payloadHash)) }
        if let t = credentials.sessionToken { extra.append(("X-Amz-Security-Token", t)) }
        var all = r.headers
        if !all.contains(where: { $0.name.lowercased() == "host" }) { all.append(("Host", r.host)) }
        all += extra
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(all)
        let uri = s3 ? (r.path.isEmpty ? "/" : r.path) : canonicalURI(r.path)
        let canonical = [r.method, uri, canonicalQuery(r.query), canonicalHeaders, signedHeaders, r.payloadHash].joined(separator: "\n")
        let scope = "\(stamp.date)/\(region)/\(service)/aws4_request"
        let toSign = [algorithm, stamp.amzDate, scope, hex(SHA256.hash(data: Array(canonical.utf8)))].joined(separator: "\n")
        let key = signingKey(secret: credentials.secretAccessKey, date: stamp.date, region: region, service: service)
        let signature = hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
        let authorization = "\(algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signed(canonicalRequest: canonical, stringToSign: toSign, signature: signature, authorization: authorization,
                      headers: extra + [("Authorization", authorization)])
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        var k = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            k = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: k)))
        }
        return k
    }

    /// Lower-cased names, sorted; values trimmed with inner runs of spaces made one; a repeated
    /// name's values joined by commas in the order given.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (text: String, signed: String) {
        var byName: [String: [String]] = [:]
        var order: [String] = []
        for (n, v) in headers {
            let name = n.lowercased()
            if byName[name] == nil { order.append(name) }
            byName[name, default: []].append(collapse(v))
        }
        let names = order.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let text = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        return (text, names.joined(separator: ";"))
    }

    static func collapse(_ v: String) -> String {
        var out = ""
        var space = false
        for c in v.unicodeScalars {
            if c == " " || c == "\t" {
                space = true
                continue
            }
            if space && !out.isEmpty { out += " " }
            space = false
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// Pairs encoded (RFC 3986 unreserved kept), sorted by name then value, bytewise.
    public static func canonicalQuery(_ q: [(name: String, value: String)]) -> String {
        q.map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false)) }
            .sorted { a, b in a.0 != b.0 ? Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8)) : Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8)) }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Services other than S3: the wire path with empty and `.` segments removed and `..` resolved,
    /// each segment encoded again (so an encoded byte on the wire is encoded twice).
    static func canonicalURI(_ path: String) -> String {
        var segments: [Substring] = []
        for s in path.split(separator: "/", omittingEmptySubsequences: true) {
            if s == "." { continue }
            if s == ".." { _ = segments.popLast(); continue }
            segments.append(s)
        }
        let trailing = path.hasSuffix("/") && !segments.isEmpty
        return "/" + segments.map { uriEncode(String($0), keepSlash: false) }.joined(separator: "/") + (trailing ? "/" : "")
    }

    /// RFC 3986 percent-encoding of UTF-8 bytes, upper-case hex; `A–Z a–z 0–9 - _ . ~` kept, and `/`
    /// when `keepSlash`.
    public static func uriEncode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hexDigits = Array("0123456789ABCDEF".unicodeScalars)
        for b in s.utf8 {
            let unreserved = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 45 || b == 95 || b == 46 || b == 126
            if unreserved || (keepSlash && b == 47) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%"
                out.unicodeScalars.append(hexDigits[Int(b >> 4)])
                out.unicodeScalars.append(hexDigits[Int(b & 15)])
            }
        }
        return out
    }

    static func hex<D: Sequence>(_ d: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".unicodeScalars)
        var s = ""
        for b in d {
            s.unicodeScalars.append(digits[Int(b >> 4)])
            s.unicodeScalars.append(digits[Int(b & 15)])
        }
        return s
    }

    /// Hex SHA-256 of a body (the payload hash of a signed request).
    public static func payloadHash(_ body: [UInt8]) -> String { hex(SHA256.hash(data: body)) }
}
