import Foundation
import VigilCore
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// `--config PATH`: webhooks, secrets by file reference, quarantine policy, caps — in YAML.
/// Command-line flags override what it says. Unknown keys are errors (a typo must not silently
/// disable a webhook).
///
/// ```yaml
/// webhooks:
///   - url_file: /etc/vigil/slack-webhook.url   # the URL carries a token: kept in a file
///     format: slack
///   - url: https://siem.example.com/ingest/vigil
///     format: ocsf
///     secret_file: /etc/vigil/siem-hmac.key     # X-Vigil-Signature
/// retry: { initial_seconds: 1, max_seconds: 300, give_up_after_seconds: 86400, timeout_seconds: 10 }
/// drain_seconds: 5
/// policy: /etc/vigil/policy.yaml
/// enforce: false
/// redact: pii
/// redact_key_file: /etc/vigil/redact.key
/// audit_head: /var/log/vigil/audit-head.json
/// actions: /var/log/vigil/actions.jsonl
/// sigma: [/etc/vigil/sigma]
/// ```
public struct ResponderConfig: Decodable, Sendable {
    public struct Webhook: Decodable, Sendable {
        public var url: String?
        public var urlFile: String?
        public var format: WebhookFormat?
        public var secretFile: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case url, urlFile = "url_file", format, secretFile = "secret_file" }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            url = try c.decodeIfPresent(String.self, forKey: .url)
            urlFile = try c.decodeIfPresent(String.self, forKey: .urlFile)
            format = try c.decodeIfPresent(WebhookFormat.self, forKey: .format)
            secretFile = try c.decodeIfPresent(String.self, forKey: .secretFile)
            try UnknownKeys.reject(decoder, known: CodingKeys.self)
        }
        public init(url: String?, urlFile: String?, format: WebhookFormat?, secretFile: String?) {
            self.url = url; self.urlFile = urlFile; self.format = format; self.secretFile = secretFile
        }
    }

    public struct Retry: Decodable, Sendable {
        public var initialSeconds: Double?
        public var maxSeconds: Double?
        public var giveUpAfterSeconds: Double?
        public var timeoutSeconds: Double?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case initialSeconds = "initial_seconds", maxSeconds = "max_seconds"
            case giveUpAfterSeconds = "give_up_after_seconds", timeoutSeconds = "timeout_seconds"
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            initialSeconds = try c.decodeIfPresent(Double.self, forKey: .initialSeconds)
            maxSeconds = try c.decodeIfPresent(Double.self, forKey: .maxSeconds)
            giveUpAfterSeconds = try c.decodeIfPresent(Double.self, forKey: .giveUpAfterSeconds)
            timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds)
            try UnknownKeys.reject(decoder, known: CodingKeys.self)
        }
    }

    public var webhooks: [Webhook] = []
    public var retry: Retry?
    public var drainSeconds: Double?
    public var policy: String?
    public var enforce: Bool?
    public var redact: String?
    public var redactKeyFile: String?
    public var auditHead: String?
    public var actions: String?
    /// Sigma rule files or directories, run beside the built-in rules (as `--sigma`, which adds to
    /// them). Relative paths are taken from the config file's directory.
    public var sigma: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable {
        case webhooks, retry, drainSeconds = "drain_seconds", policy, enforce, redact
        case redactKeyFile = "redact_key_file", auditHead = "audit_head", actions, sigma
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        webhooks = try c.decodeIfPresent([Webhook].self, forKey: .webhooks) ?? []
        retry = try c.decodeIfPresent(Retry.self, forKey: .retry)
        drainSeconds = try c.decodeIfPresent(Double.self, forKey: .drainSeconds)
        policy = try c.decodeIfPresent(String.self, forKey: .policy)
        enforce = try c.decodeIfPresent(Bool.self, forKey: .enforce)
        redact = try c.decodeIfPresent(String.self, forKey: .redact)
        redactKeyFile = try c.decodeIfPresent(String.self, forKey: .redactKeyFile)
        auditHead = try c.decodeIfPresent(String.self, forKey: .auditHead)
        actions = try c.decodeIfPresent(String.self, forKey: .actions)
        if let one = try? c.decodeIfPresent(String.self, forKey: .sigma) {
            sigma = [one]
        } else {
            sigma = try c.decodeIfPresent([String].self, forKey: .sigma) ?? []
        }
        try UnknownKeys.reject(decoder, known: CodingKeys.self)
    }

    /// Loads a config file after checking that only its owner can change it.
    public static func load(_ path: String) throws -> ResponderConfig {
        try TrustedFile.check(path, what: "config")
        guard let data = FileManager.default.contents(atPath: path) else { throw ResponderError.insecure(path, "cannot be read") }
        do {
            return try YAMLDecoder().decode(ResponderConfig.self, from: String(decoding: data, as: UTF8.self))
        } catch {
            throw ResponderError.insecure(path, "not a usable Vigil config: \(TrustedFile.describe(error))")
        }
    }
}

/// Files Vigil acts on (config, policy, action commands, secrets) must not be changeable by anyone
/// but their owner: a group- or world-writable policy is an invitation to disable quarantine or run
/// another command.
public enum TrustedFile {
    public static func check(_ path: String, what: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ResponderError.insecure(path, "\(what) file not found") }
        if st.st_mode & 0o022 != 0 {
            throw ResponderError.insecure(path, "\(what) file is group- or world-writable (mode \(String(st.st_mode & 0o777, radix: 8))); refusing to use it: chmod go-w \(path)")
        }
    }

    /// Reads a secret (webhook URL, HMAC key) from a file: trimmed of a final newline, never logged.
    /// Refused when anyone on the machine may read it (group access is allowed, for a service group).
    public static func secret(_ path: String, what: String) throws -> String {
        try check(path, what: what)
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o004 != 0 {
            throw ResponderError.insecure(path, "\(what) file is world-readable (mode \(String(st.st_mode & 0o777, radix: 8))): chmod o-r \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ResponderError.insecure(path, "cannot read \(what)") }
        let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !s.isEmpty else { throw ResponderError.insecure(path, "\(what) file is empty") }
        return s
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
                let path = c.codingPath.map(\.stringValue).joined(separator: ".")
                // Errors thrown by our own decoders (unknown keys, bad values) arrive wrapped.
                if let inner = c.underlyingError { return (path.isEmpty ? "" : path + ": ") + describe(inner) }
                return (path.isEmpty ? "" : path + ": ") + c.debugDescription
            @unknown default: return "\(e)"
            }
        }
        return "\(error)"
    }
}
