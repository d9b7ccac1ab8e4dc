/// The standard AWS credential chain, region and endpoint resolution, as the AWS SDKs read them.
///
/// Inputs are the environment and the text of the shared files (`AWS_SHARED_CREDENTIALS_FILE`,
/// default `~/.aws/credentials`; `AWS_CONFIG_FILE`, default `~/.aws/config`), given by the caller,
/// so the order is a pure function and testable. Order (first that applies wins):
/// 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
/// 2. `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (`AWS_ROLE_SESSION_NAME`);
/// 3. the profile `AWS_PROFILE` (else `default`): static keys, `role_arn` with `source_profile`
///    (followed, loops refused) or `credential_source = Environment`, or `web_identity_token_file`;
///    the credentials file's section wins over the config file's for keys;
/// 4. `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on 169.254.170.2) or `_FULL_URI`;
/// 5. instance metadata (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, default http://169.254.169.254),
///    unless `AWS_EC2_METADATA_DISABLED=true`.
public struct CredentialChain: Sendable {
    public var environment: [String: String]
    public var credentialsFile: String?
    public var configFile: String?

    public init(environment: [String: String], credentialsFile: String?, configFile: String?) {
        self.environment = environment
        self.credentialsFile = credentialsFile
        self.configFile = configFile
    }

    /// Paths of the shared files for this environment.
    public static func sharedFilePaths(_ env: [String: String]) -> (credentials: String, config: String) {
        let home = env["HOME"] ?? "~"
        return (env["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials", env["AWS_CONFIG_FILE"] ?? home + "/.aws/config")
    }

    var profileName: String { nonEmpty("AWS_PROFILE") ?? nonEmpty("AWS_DEFAULT_PROFILE") ?? "default" }

    func nonEmpty(_ k: String) -> String? { environment[k].flatMap { $0.isEmpty ? nil : $0 } }

    /// Where the credentials are, by the chain's order.
    public func source() throws -> CredentialSource {
        if let id = nonEmpty("AWS_ACCESS_KEY_ID"), let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") {
            return .keys(AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"), source: "environment"))
        }
        if let file = nonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE"), let role = nonEmpty("AWS_ROLE_ARN") {
            return .webIdentity(roleArn: role, tokenFile: file, sessionName: nonEmpty("AWS_ROLE_SESSION_NAME") ?? "vigil")
        }
        let explicit = nonEmpty("AWS_PROFILE") != nil || nonEmpty("AWS_DEFAULT_PROFILE") != nil
        if let s = try profileSource(profileName, seen: []) { return s }
        if explicit { throw AWSConfigError.profileNotFound(profileName) }
        if let rel = nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return .container(url: "http://169.254.170.2" + rel, authorizationTokenFile: nil, hasAuthorizationToken: false)
        }
        if let full = nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            return .container(url: full, authorizationTokenFile: nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
                              hasAuthorizationToken: nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN") != nil)
        }
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { throw AWSConfigError.noCredentials }
        return .instanceMetadata(endpoint: nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? "http://169.254.169.254")
    }

    /// A profile's source, nil when neither file names it.
    func profileSource(_ name: String, seen: Set<String>) throws -> CredentialSource? {
        guard !seen.contains(name) else { throw AWSConfigError.sourceProfileLoop(name) }
        let creds = credentialsFile.map { INIFile.parse($0).section(name) } ?? nil
        let conf = configFile.map { INIFile.parse($0).section(name == "default" ? "default" : "profile " + name) ?? INIFile.parse($0).section(name) } ?? nil
        guard creds != nil || conf != nil else { return nil }
        func value(_ k: String) -> String? { creds?[k] ?? conf?[k] }
        if let role = value("role_arn") {
            let session = value("role_session_name") ?? "vigil"
            if let src = value("source_profile") {
                // A profile that is its own source uses its static keys for the AssumeRole call.
                let inner: CredentialSource
                if src == name {
                    guard let k = staticKeys(value, profile: name) else { throw AWSConfigError.incompleteProfile(name, missing: "aws_access_key_id") }
                    inner = .keys(k)
                } else {
                    guard let s = try profileSource(src, seen: seen.union([name])) else { throw AWSConfigError.profileNotFound(src) }
                    inner = s
                }
                return .assumeRole(roleArn: role, sessionName: session, externalID: value("external_id"), source: inner)
            }
            if let token = value("web_identity_token_file") {
                return .webIdentity(roleArn: role, tokenFile: token, sessionName: session)
            }
            if value("credential_source")?.lowercased() == "environment",
               let id = nonEmpty("AWS_ACCESS_KEY_ID"), let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") {
                return .assumeRole(roleArn: role, sessionName: session, externalID: value("external_id"),
                                   source: .keys(AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"), source: "environment")))
            }
            throw AWSConfigError.incompleteProfile(name, missing: "source_profile, web_identity_token_file or credential_source")
        }
        if let k = staticKeys(value, profile: name) { return .keys(k) }
        if value("aws_access_key_id") != nil { throw AWSConfigError.incompleteProfile(name, missing: "aws_secret_access_key") }
        return nil
    }

    func staticKeys(_ value: (String) -> String?, profile: String) -> AWSCredentials? {
        guard let id = value("aws_access_key_id"), let secret = value("aws_secret_access_key") else { return nil }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("aws_session_token"), source: "profile \(profile)")
    }

    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, or the profile's `region` in the config file.
    public func region() -> String? {
        if let r = nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") { return r }
        guard let c = configFile else { return nil }
        let ini = INIFile.parse(c)
        return ini.section(profileName == "default" ? "default" : "profile " + profileName)?["region"]
    }

    /// The endpoint for `service` (`s3`, `sqs`, `sts`): `AWS_ENDPOINT_URL_<SERVICE>`, else
    /// `AWS_ENDPOINT_URL`, else AWS's own for the region.
    public func endpoint(service: String, region: String) throws -> String {
        let e = nonEmpty("AWS_ENDPOINT_URL_" + service.uppercased()) ?? nonEmpty("AWS_ENDPOINT_URL")
        if let e {
            guard e.hasPrefix("http://") || e.hasPrefix("https://") else { throw AWSConfigError.badEndpoint(e) }
            return e.hasSuffix("/") ? String(e.dropLast()) : e
        }
        return "https://\(service).\(region).amazonaws.com"
    }
}

/// The shared files' INI dialect: `[section]` headers, `key = value` lines, `#` and `;` comments.
/// Nested (indented) sub-sections such as `s3 =` blocks are skipped.
struct INIFile {
    var sections: [String: [String: String]] = [:]

    static func parse(_ text: String) -> INIFile {
        var f = INIFile()
        var current: String?
        var nested = false
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let indented = raw.first == " " || raw.first == "\t"
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                nested = false
                if f.sections[current!] == nil { f.sections[current!] = [:] }
                continue
            }
            guard let c = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if indented && nested { continue }
            nested = value.isEmpty   // `s3 =` opens a nested block
            if !nested { f.sections[c]![key] = value }
        }
        return f
    }

    func section(_ name: String) -> [String: String]? { sections[name] }
}

import Foundation
