import Foundation
import VigilCore

/// Turns the chain's plan (``CredentialSource``) into keys, and keeps them fresh.
///
/// Temporary credentials (STS, the container endpoint, instance metadata) are fetched again when
/// they are within `refreshMargin` seconds of expiring, before a request would use them: an S3
/// listing of years of objects outlives an hour-long session. Safe from many threads; one fetch at
/// a time. Nothing here logs or formats a secret: errors name the source and the HTTP status.
public final class CredentialProvider: @unchecked Sendable {
    private let source: CredentialSource
    private let transport: HTTPTransport
    private let chain: CredentialChain
    private let lock = NSLock()
    private var cached: AWSCredentials?
    /// Seconds before expiry at which credentials are fetched again (the SDKs use 5 minutes).
    public var refreshMargin = 300.0
    /// Fetches made so far (for tests and `--stats`).
    public private(set) var fetches = 0

    public init(chain: CredentialChain, transport: HTTPTransport) throws {
        self.chain = chain
        self.transport = transport
        source = try chain.source()
    }

    /// Where the credentials come from, without them (for messages).
    public var sourceDescription: String {
        switch source {
        case .keys(let k): return k.source
        case .webIdentity(let role, _, _): return "web identity for \(role)"
        case .assumeRole(let role, _, _, _): return "assumed role \(role)"
        case .container: return "container credentials endpoint"
        case .instanceMetadata: return "EC2 instance metadata"
        }
    }

    /// Credentials valid for at least `refreshMargin` more seconds (when they expire at all).
    public func credentials() throws -> AWSCredentials {
        lock.lock()
        defer { lock.unlock() }
        let now = Date().timeIntervalSince1970
        if let c = cached, !c.expires(within: refreshMargin, now: now) { return c }
        let c = try resolve(source)
        fetches += 1
        cached = c
        return c
    }

    private func resolve(_ s: CredentialSource) throws -> AWSCredentials {
        switch s {
        case .keys(let k):
            return k
        case .webIdentity(let role, let tokenFile, let session):
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw AWSError.credentials("cannot read the web identity token file \(tokenFile)")
            }
            let form: [(String, String)] = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", role),
                                            ("RoleSessionName", session), ("WebIdentityToken", token.trimmingCharacters(in: .whitespacesAndNewlines))]
            return try stsCall(form, signedWith: nil, what: "web identity for \(role)")
        case .assumeRole(let role, let session, let external, let inner):
            let base = try resolve(inner)
            var form: [(String, String)] = [("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", role), ("RoleSessionName", session)]
            if let e = external { form.append(("ExternalId", e)) }
            return try stsCall(form, signedWith: base, what: "assumed role \(role)")
        case .container(let url, let tokenFile, let hasToken):
            var headers: [(name: String, value: String)] = []
            if let f = tokenFile, let t = try? String(contentsOfFile: f, encoding: .utf8) {
                headers.append(("Authorization", t.trimmingCharacters(in: .whitespacesAndNewlines)))
            } else if hasToken, let t = chain.environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] {
                headers.append(("Authorization", t))
            }
            let r = try fetch(HTTPRequest(method: "GET", url: url, headers: headers), what: "container credentials endpoint")
            return try Self.decodeJSONCredentials(r.body, source: "container credentials endpoint")
        case .instanceMetadata(let endpoint):
            let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            let tokenAnswer = try fetch(HTTPRequest(method: "PUT", url: base + "/latest/api/token",
                                                    headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")]), what: "instance metadata (token)")
            let token = tokenAnswer.text
            let h: [(name: String, value: String)] = [("X-aws-ec2-metadata-token", token)]
            let roles = try fetch(HTTPRequest(method: "GET", url: base + "/latest/meta-data/iam/security-credentials/", headers: h),
                                  what: "instance metadata (role)")
            guard let role = roles.text.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
                throw AWSError.credentials("instance metadata names no IAM role: the instance has no instance profile")
            }
            let r = try fetch(HTTPRequest(method: "GET", url: base + "/latest/meta-data/iam/security-credentials/" + role, headers: h),
                              what: "instance metadata (credentials)")
            return try Self.decodeJSONCredentials(r.body, source: "EC2 instance metadata (role \(role))")
        }
    }

    private func fetch(_ r: HTTPRequest, what: String) throws -> HTTPResponse {
        let answer: HTTPResponse
        do {
            answer = try transport.send(r)
        } catch {
            throw AWSError.credentials("\(what): \(error.reason)")
        }
        guard (200..<300).contains(answer.status) else { throw AWSError.credentials("\(what) answered HTTP \(answer.status)") }
        return answer
    }

    /// An STS query call (form-encoded POST); `signedWith` nil for `AssumeRoleWithWebIdentity`,
    /// which the token itself authorises.
    private func stsCall(_ form: [(String, String)], signedWith base: AWSCredentials?, what: String) throws -> AWSCredentials {
        let region = chain.region() ?? "us-east-1"
        let endpoint = try chain.endpoint(service: "sts", region: region)
        let body = Array(form.map { SigV4.uriEncode($0.0, keepSlash: false) + "=" + SigV4.uriEncode($0.1, keepSlash: false) }
            .joined(separator: "&").utf8)
        var headers: [(name: String, value: String)] = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        if let base {
            let host = AWSEndpoint(endpoint).hostHeader
            let signable = SignableRequest(method: "POST", host: host, path: "/", headers: headers, payloadHash: SigV4.payloadHash(body))
            let signed = SigV4.sign(signable, credentials: base, region: region, service: "sts",
                                    at: SigV4.Stamp(epochMillis: Int64(Date().timeIntervalSince1970 * 1000)))
            headers += signed.headers
        }
        let answer: HTTPResponse
        do {
            answer = try transport.send(HTTPRequest(method: "POST", url: endpoint + "/", headers: headers, body: body))
        } catch {
            throw AWSError.credentials("STS (\(what)): \(error.reason)")
        }
        let xml = answer.text[...]
        guard (200..<300).contains(answer.status) else {
            let code = XMLText.value("Code", in: xml) ?? "HTTP \(answer.status)"
            throw AWSError.credentials("STS refused \(what): \(code)")
        }
        guard let creds = XMLText.first("Credentials", in: xml),
              let id = XMLText.value("AccessKeyId", in: creds), let secret = XMLText.value("SecretAccessKey", in: creds) else {
            throw AWSError.credentials("STS answer for \(what) holds no credentials")
        }
        let expiry = XMLText.value("Expiration", in: creds).flatMap(EventTime.parse).map { Double($0) / 1000 }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: XMLText.value("SessionToken", in: creds),
                              expiration: expiry, source: what)
    }

    /// The container endpoint's and IMDS's JSON: `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`.
    static func decodeJSONCredentials(_ body: [UInt8], source: String) throws -> AWSCredentials {
        struct Doc: Decodable {
            var AccessKeyId: String
            var SecretAccessKey: String
            var Token: String?
            var Expiration: String?
        }
        guard let d = try? JSONDecoder().decode(Doc.self, from: Data(body)) else {
            throw AWSError.credentials("\(source) answered something that is not credentials")
        }
        return AWSCredentials(accessKeyID: d.AccessKeyId, secretAccessKey: d.SecretAccessKey, sessionToken: d.Token,
                              expiration: d.Expiration.flatMap(EventTime.parse).map { Double($0) / 1000 }, source: source)
    }
}
