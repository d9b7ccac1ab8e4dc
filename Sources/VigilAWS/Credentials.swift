/// An AWS access key pair, with its session token and expiry for temporary credentials.
///
/// Never printed: `description` names the key ID's first four characters and where the
/// credentials came from, so a log line or an error can say which credentials were used without
/// carrying them.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Expiry in seconds since the epoch (wall clock), for temporary credentials.
    public var expiration: Double?
    /// Where they came from (`environment`, `profile dev in ~/.aws/credentials`, …).
    public var source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Double? = nil, source: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    public var description: String {
        "AWS credentials \(accessKeyID.prefix(4))… from \(source)" + (sessionToken == nil ? "" : " (temporary)")
    }

    /// True when they expire within `margin` seconds of `now` (refresh before use).
    public func expires(within margin: Double, now: Double) -> Bool {
        expiration.map { $0 - now <= margin } ?? false
    }
}

/// Where the standard credential chain says credentials are to be found, in the SDKs' order:
/// environment, web identity, the shared credentials and config files (`AWS_PROFILE`), then the
/// ECS container endpoint, then EC2 instance metadata (IMDSv2). Deciding the source is pure (an
/// environment and file contents in, a plan out), so its order is tested without a network; the
/// sources that need a call (STS, the container endpoint, IMDS) are fetched by their clients.
public indirect enum CredentialSource: Sendable, Equatable {
    /// Keys at hand (environment, or a profile's static keys).
    case keys(AWSCredentials)
    /// `AssumeRoleWithWebIdentity` with the token in `tokenFile` (EKS IRSA, GitHub OIDC).
    case webIdentity(roleArn: String, tokenFile: String, sessionName: String)
    /// `AssumeRole` with the credentials of `source` (a profile's `role_arn` + `source_profile`).
    case assumeRole(roleArn: String, sessionName: String, externalID: String?, source: CredentialSource)
    /// The ECS/EKS Pod Identity container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
    /// `_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`).
    case container(url: String, authorizationTokenFile: String?, hasAuthorizationToken: Bool)
    /// EC2 instance metadata, IMDSv2 (a session token first, then the role's credentials).
    case instanceMetadata(endpoint: String)
}

/// Errors of the chain, in plain words (never with a secret in them).
public enum AWSConfigError: Error, Equatable, CustomStringConvertible {
    case profileNotFound(String)
    case incompleteProfile(String, missing: String)
    case sourceProfileLoop(String)
    case badEndpoint(String)
    case noCredentials

    public var description: String {
        switch self {
        case .profileNotFound(let p): return "AWS profile \(p) is in neither the shared credentials file nor the config file"
        case .incompleteProfile(let p, let m): return "AWS profile \(p) has no \(m)"
        case .sourceProfileLoop(let p): return "AWS profile \(p): source_profile chain loops back on itself"
        case .badEndpoint(let e): return "AWS endpoint \(e) is not an http:// or https:// URL"
        case .noCredentials: return "no AWS credentials: none in the environment, no profile, no container endpoint, and instance metadata is disabled (AWS_EC2_METADATA_DISABLED)"
        }
    }
}
