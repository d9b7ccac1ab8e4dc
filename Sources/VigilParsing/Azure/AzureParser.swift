import VigilCore

/// Parses Azure Monitor records: the Activity Log (`category` Administrative, Policy, …) and Entra ID
/// sign-in and audit logs (`category` SignInLogs, AuditLogs, …), which share the envelope.
///
/// Principal: the UPN (else name, app ID, object ID) from `identity.claims`, else `caller`, else the
/// Entra `properties.userPrincipalName` / `properties.initiatedBy`. Action: the resource provider +
/// `:` + the rest of `operationName`, lower-cased (`microsoft.storage:storageaccounts/listkeys/action`), or
/// `entra:` + the operation for Entra. Records of other kinds in the same stream (`kube-audit`) are
/// recognised and refused (`unsupported-kind`), never mis-parsed. O(record length).
public struct AzureParser: RecordParser, Sendable {
    public var keepAllRaw: Bool
    public var detailActions: Set<String>

    static let entraCategories: Set<String> = ["SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs",
                                               "ManagedIdentitySignInLogs", "AuditLogs", "ProvisioningLogs"]

    public init(detailActions: Set<String> = [], keepAllRaw: Bool = false) {
        self.detailActions = detailActions
        self.keepAllRaw = keepAllRaw
    }

    public func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult {
        guard UTF8Check.isValid(record) else { return .bad("invalid-utf8") }
        var s = JSONScanner(record)
        guard s.peek() == 123 else { return .bad("not-an-object") }
        var f = AzureFields()
        guard s.object({ s, k in f.read(&s, k) }) else { return .bad("not-json") }
        s.skipWS()
        guard s.atEnd else { return .bad("not-json") }
        if let c = f.category, c.lowercased().hasPrefix("kube-") { return .bad("unsupported-kind") }
        guard let op = f.operationName, !op.isEmpty else { return .bad("not-azure") }
        guard let timeText = f.time, let time = EventTime.parse(timeText) else { return .bad("missing-time") }
        let entra = f.category.map { Self.entraCategories.contains($0) } ?? false
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
        if keepAllRaw || detailActions.contains(action) { e.raw = Array(record) }
        return .event(e)
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
