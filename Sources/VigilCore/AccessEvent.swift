/// The format a record came from. Its raw value is the `source` written in alerts (never a path).
public enum SourceFormat: String, Sendable, Codable, CaseIterable {
    case cloudtrail
    case gcpAudit = "gcp-audit"
    case azureActivity = "azure-activity"
    case entra
    case s3Access = "s3-access"
    case azureStorage = "azure-storage"
    case mapped
}

/// What happened to the request: the basis of error and AccessDenied ratios.
public enum Outcome: UInt8, Sendable, Codable {
    case success
    /// Refused by authorization (AccessDenied, UnauthorizedOperation, ...).
    case denied
    /// Any other error code (throttling, validation, failed console login, ...).
    case error
}

/// Where a record sits in its input, so an analyst can go back to the raw evidence.
public struct SourcePosition: Sendable, Hashable, Codable {
    /// Path of the input (or `-` for stdin).
    public var input: String
    /// Byte offset of the record's first byte in the *decoded* stream.
    public var offset: Int64
    /// 1-based line of the record's first byte in the decoded stream.
    public var line: Int64

    public init(input: String, offset: Int64, line: Int64) {
        self.input = input
        self.offset = offset
        self.line = line
    }
}

/// One access, normalized: every parser emits exactly this, whatever the source format.
///
/// Why one type: baselines, scorer and detector must not care whether a request came from
/// CloudTrail or another log. Fields a format lacks stay `nil`.
public struct AccessEvent: Sendable, Equatable {
    /// Event time in milliseconds since the Unix epoch (UTC). Detection uses nothing else.
    public var time: Int64
    /// Native ID (CloudTrail `eventID`) or `h:` + 16 hex digits of SHA-256 of the raw record.
    public var id: String
    public var source: SourceFormat
    /// Canonical principal key: IAM user/role ARN with assumed-role sessions folded to their role.
    public var principal: String
    /// Principal type as the source names it (`IAMUser`, `AssumedRole`, `Root`, ...).
    public var principalType: String
    /// The acting name: IAM user name, or the session name of an assumed role.
    public var actorName: String?
    public var sessionName: String?
    public var accessKeyID: String?
    public var sourceIdentity: String?
    /// The originating identity behind the credentials, stamped by identity stitching before the
    /// baseline sees the event; `nil` when unknown (or before stitching).
    public var actor: ActorChain?
    /// Account the principal belongs to, when the record says.
    public var account: String?
    /// `service:Operation`, e.g. `iam:CreateAccessKey`.
    public var action: String
    public var resource: String?
    public var sourceIP: String?
    public var userAgent: String?
    public var region: String?
    /// The account whose log holds the record (CloudTrail's `recipientAccountId`), when it differs
    /// in meaning from the caller's `account`: what silence detection keys a trail by.
    public var logAccount: String?
    public var outcome: Outcome
    public var errorCode: String?
    public var bytesIn: Int64?
    public var bytesOut: Int64?
    public var readOnly: Bool?
    public var position: SourcePosition
    /// The raw record, kept only for the actions that rules inspect in depth (see the parser's
    /// `detailActions`); `nil` otherwise, so the hot path copies nothing.
    public var raw: [UInt8]?
    /// The event's identities as stable 64-bit keys, stamped by its parser (``EventKeys``); nil for
    /// events built by hand, whose keys ``identity`` computes when asked.
    public var keys: EventKeys?

    public init(time: Int64, id: String, source: SourceFormat, principal: String, principalType: String,
                action: String, outcome: Outcome, position: SourcePosition) {
        self.time = time
        self.id = id
        self.source = source
        self.principal = principal
        self.principalType = principalType
        self.action = action
        self.outcome = outcome
        self.position = position
    }

    /// The operation part of `action` (`CreateAccessKey` for `iam:CreateAccessKey`).
    public var operation: Substring {
        guard let colon = action.firstIndex(of: ":") else { return Substring(action) }
        return action[action.index(after: colon)...]
    }
}
