import VigilCore

/// Parses Azure Monitor records: the Activity Log (`category` Administrative, Policy, …) and Entra ID
/// sign-in and audit logs (`category` SignInLogs, AuditLogs, …), which share the envelope.
///
/// Principal: the UPN (else name, app ID, object ID) from `identity.claims`, else `caller`, else the
/// Entra `properties.userPrincipalName` / `properties.initiatedBy`. Action: the resource provider +
/// `:` + the rest of `operationName`, lower-cased (`microsoft.storage:storageaccounts/listkeys/action`), or
/// `entra:` + the operation for Entra. Records of other kinds in the same stream (`kube-audit`) are
/// recognised and refused (`unsupported-kind`), never mis-parsed. Storage resource logs (`StorageRead`,
/// `StorageWrite`, `StorageDelete`) become `azure-storage` events: action `storage:GetBlob`, the
/// requester from `identity.requester`, bytes from `properties.responseBodySize`. O(record length).
public struct AzureParser: RecordParser, Sendable {
    public var raw: RawRecordPolicy

    static let entraCategories: Set<String> = ["SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs",
                                               "ManagedIdentitySignInLogs", "AuditLogs", "ProvisioningLogs"]

    /// Entra audit records exported through the Graph API (and tools built on it) carry the audit
    /// category itself instead of `AuditLogs`.
    static let entraAuditCategories: Set<String> = ["DirectoryManagement", "ApplicationManagement", "UserManagement",
                                                    "GroupManagement", "RoleManagement", "Authentication", "AuthenticationMethod",
                                                    "DeviceManagement", "Device", "AdministrativeUnit", "PolicyManagement"]

    /// Entra or the Azure Activity Log? The category says, except `Policy`, which both use: Activity
    /// operations are always `Provider/path` names, Entra ones are sentences.
    static func isEntra(category: String?, operation: String) -> Bool {
        guard let c = category else { return false }
        if entraCategories.contains(c) || entraAuditCategories.contains(c) { return true }
        return c == "Policy" && !operation.contains("/")
    }

    public init(detailActions: Set<String> = [], keepAllRaw: Bool = false) {
        raw = RawRecordPolicy(detailActions: detailActions, keepAll: keepAllRaw)
    }

    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        var f = AzureFields()
        if let bad = JSONRecord.read(record, { s, k in f.read(&s, k) }) { return .bad(bad) }
        if let c = f.category, c.lowercased().hasPrefix("kube-") { return .bad("unsupported-kind") }
        guard let op = f.operationName, !op.isEmpty else { return .bad("not-azure") }
        guard let timeText = f.time, let time = EventTime.parse(timeText) else { return .bad("missing-time") }
        if let c = f.category, c.hasPrefix("Storage"), ["StorageRead", "StorageWrite", "StorageDelete"].contains(c) {
            return .event(storageEvent(f, op: op, time: time, category: c, record: record, position: position))
        }
        let entra = Self.isEntra(category: f.category, operation: op)
        let format: SourceFormat = entra ? .entra : .azureActivity
        let action = Self.action(op, entra: entra)
        let id = f.id.flatMap { $0.isEmpty ? nil : $0 }
            ?? f.correlationId.map { "\($0)|\(op)|\(f.resultType ?? "")" }
            ?? ("h:" + Digest.sha256Hex(record, hexDigits: 16))
        let principal = f.principal
        var e = AccessEvent(time: time, id: id, source: format, principal: principal ?? "unknown:\(format.rawValue)",
                            principalType: f.principalType, action: action, outcome: f.outcome(entra: entra), position: position)
        e.actorName = principal
        e.account = f.tenantId
        e.resource = f.resourceId
        e.sourceIP = f.callerIpOrProps
        e.userAgent = f.userAgent
        e.region = f.location
        e.errorCode = e.outcome == .success ? nil : (f.resultSignature ?? f.resultType)
        e.readOnly = op.lowercased().hasSuffix("/read")
        if raw.keeps(action) { e.raw = Array(record) }
        return .event(e)
    }

    /// A storage resource-log record (StorageBlobLogs and the like): data-plane access to blobs.
    func storageEvent(_ f: AzureFields, op: String, time: Int64, category: String, record: UnsafeRawBufferPointer,
                      position: SourcePosition) -> AccessEvent {
        let (principal, type) = f.storagePrincipal ?? ("unknown:azure-storage", "Unknown")
        let action = "storage:" + op
        let id = f.correlationId.map { "\($0)|\(op)|\(f.statusCode ?? "")" } ?? ("h:" + Digest.sha256Hex(record, hexDigits: 16))
        var e = AccessEvent(time: time, id: id, source: .azureStorage, principal: principal, principalType: type,
                            action: action, outcome: f.storageOutcome, position: position)
        e.actorName = f.requesterUPN ?? f.accountName
        e.account = f.accountName
        e.resource = f.storageResource
        e.sourceIP = f.storageIP
        e.userAgent = f.userAgent
        e.region = f.location
        e.bytesOut = category == "StorageRead" ? f.responseBodySize : nil
        e.readOnly = category == "StorageRead"
        e.errorCode = e.outcome == .success ? nil : (f.statusText ?? f.statusCode)
        if raw.keeps(action) { e.raw = Array(record) }
        return e
    }

    /// `Microsoft.Storage/storageAccounts/listKeys/action` → `microsoft.storage:storageaccounts/listkeys/action`.
    /// Lower-cased: Azure operation names are case-insensitive and producers disagree on case.
    static func action(_ op: String, entra: Bool) -> String {
        if entra { return "entra:" + op }
        let lower = op.lowercased()
        guard let slash = lower.firstIndex(of: "/") else { return "azure:" + lower }
        return String(lower[..<slash]) + ":" + String(lower[lower.index(after: slash)...])
    }
}
