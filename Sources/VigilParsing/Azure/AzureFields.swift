import VigilCore

/// The Azure Monitor / Entra fields Vigil reads (keys matched case-insensitively).
struct AzureFields {
    var time: String?
    var id: String?
    var operationName: String?
    var category: String?
    var resultType: String?
    var resultSignature: String?
    var statusCode: String?
    var statusText: String?
    var callerIp: String?
    var resourceId: String?
    var correlationId: String?
    var tenantId: String?
    var location: String?
    var caller: String?
    var userAgent: String?
    var claimUPN: String?
    var claimName: String?
    var claimAppID: String?
    var claimObjectID: String?
    var propsUPN: String?
    var propsIP: String?
    var initiator: String?
    var initiatorName: String?
    var signInError: Int64?
    // Storage resource logs (StorageRead/Write/Delete).
    var identityType: String?
    var requesterUPN: String?
    var requesterObjectID: String?
    var requesterAppID: String?
    var accountName: String?
    var objectKey: String?
    var uri: String?
    var responseBodySize: Int64?
    var metricResponseType: String?

    var principal: String? {
        // UPNs first: Entra's top-level `identity` is only a display name.
        for c in [claimUPN, propsUPN, initiator, claimName, caller, initiatorName, claimAppID, claimObjectID] {
            if let c, !c.isEmpty { return c }
        }
        return nil
    }

    var principalType: String {
        if claimUPN != nil || propsUPN != nil || (caller?.contains("@") ?? false) { return "User" }
        if initiator != nil { return "User" }
        if claimAppID != nil || initiatorName != nil { return "ServicePrincipal" }
        return principal == nil ? "Unknown" : "Caller"
    }

    var callerIpOrProps: String? { callerIp ?? propsIP }

    func outcome(entra: Bool) -> Outcome {
        let sig = (resultSignature ?? "") + " " + (statusCode ?? "")
        if sig.contains("Forbidden") || sig.contains("403") || sig.contains("Unauthorized") || sig.contains("401") { return .denied }
        if let e = signInError, e != 0 { return .error }
        guard let r = resultType?.lowercased() else { return .success }
        if ["failure", "failed", "fail", "error"].contains(r) { return .error }
        if entra, let code = Int(r), code != 0 { return .error }
        return .success
    }

    mutating func read(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIsCI(k, "time") { return str(&s, &time) }
        if s.keyIsCI(k, "id") { return str(&s, &id) }
        if s.keyIsCI(k, "operationName") {
            if s.peek() == 123 {   // REST form: {"value": "...", "localizedValue": "..."}
                return s.object { s, k in s.keyIsCI(k, "value") ? str(&s, &operationName) : s.skipValue() }
            }
            return str(&s, &operationName)
        }
        if s.keyIsCI(k, "category") {
            if s.peek() == 123 { return s.object { s, k in s.keyIsCI(k, "value") ? str(&s, &category) : s.skipValue() } }
            return str(&s, &category)
        }
        if s.keyIsCI(k, "resultType") { return str(&s, &resultType) }
        if s.keyIsCI(k, "resultSignature") { return str(&s, &resultSignature) }
        if s.keyIsCI(k, "statusCode") { return str(&s, &statusCode) }
        if s.keyIsCI(k, "statusText") { return str(&s, &statusText) }
        if s.keyIsCI(k, "callerIpAddress") { return str(&s, &callerIp) }
        if s.keyIsCI(k, "resourceId") { return str(&s, &resourceId) }
        if s.keyIsCI(k, "correlationId") { return str(&s, &correlationId) }
        if s.keyIsCI(k, "tenantId") { return str(&s, &tenantId) }
        if s.keyIsCI(k, "location") { return str(&s, &location) }
        if s.keyIsCI(k, "caller") { return str(&s, &caller) }
        if s.keyIsCI(k, "uri") { return str(&s, &uri) }
        if s.keyIsCI(k, "identity") {
            guard s.peek() == 123 else { return str(&s, &caller) }
            return s.object { s, k in
                if s.keyIsCI(k, "claims"), s.peek() == 123 { return s.object { s, k in claim(&s, k) } }
                if s.keyIsCI(k, "type") { return str(&s, &identityType) }
                if s.keyIsCI(k, "requester"), s.peek() == 123 {
                    return s.object { s, k in
                        if s.keyIsCI(k, "upn") { return str(&s, &requesterUPN) }
                        if s.keyIsCI(k, "objectId") { return str(&s, &requesterObjectID) }
                        if s.keyIsCI(k, "appId") { return str(&s, &requesterAppID) }
                        return s.skipValue()
                    }
                }
                return s.skipValue()
            }
        }
        if s.keyIsCI(k, "properties"), s.peek() == 123 { return s.object { s, k in property(&s, k) } }
        return s.skipValue()
    }

    mutating func claim(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIs(k, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn") || s.keyIs(k, "upn") { return str(&s, &claimUPN) }
        if s.keyIs(k, "name") || s.keyIs(k, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name") { return str(&s, &claimName) }
        if s.keyIs(k, "appid") { return str(&s, &claimAppID) }
        if s.keyIs(k, "http://schemas.microsoft.com/identity/claims/objectidentifier") || s.keyIs(k, "oid") { return str(&s, &claimObjectID) }
        if s.keyIs(k, "ipaddr"), callerIp == nil { return str(&s, &callerIp) }
        return s.skipValue()
    }

    mutating func property(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIsCI(k, "userPrincipalName") { return str(&s, &propsUPN) }
        if s.keyIsCI(k, "accountName") { return str(&s, &accountName) }
        if s.keyIsCI(k, "objectKey") { return str(&s, &objectKey) }
        if s.keyIsCI(k, "responseBodySize") { responseBodySize = s.int64(); return true }
        if s.keyIsCI(k, "metricResponseType") { return str(&s, &metricResponseType) }
        if s.keyIsCI(k, "userAgentHeader") { return str(&s, &userAgent) }
        if s.keyIsCI(k, "ipAddress") { return str(&s, &propsIP) }
        if s.keyIsCI(k, "userAgent") { return str(&s, &userAgent) }
        if s.keyIsCI(k, "status"), s.peek() == 123 {
            return s.object { s, k in
                if s.keyIsCI(k, "errorCode") { signInError = s.int64(); return true }
                return s.skipValue()
            }
        }
        if s.keyIsCI(k, "initiatedBy"), s.peek() == 123 {
            return s.object { s, k in
                guard s.peek() == 123 else { return s.skipValue() }
                return s.object { s, k in
                    if s.keyIsCI(k, "userPrincipalName") && initiator == nil { return str(&s, &initiator) }
                    if s.keyIsCI(k, "displayName") && initiatorName == nil { return str(&s, &initiatorName) }
                    if s.keyIsCI(k, "ipAddress"), propsIP == nil { return str(&s, &propsIP) }
                    return s.skipValue()
                }
            }
        }
        return s.skipValue()
    }
}

extension AzureFields {
    /// Who made a storage request: the requester's UPN, object or app ID; for shared-key and SAS
    /// requests (no identity) the key type and account (`sas:account`), anonymous ones by IP.
    var storagePrincipal: (String, String)? {
        for c in [requesterUPN, requesterObjectID, requesterAppID] {
            if let c, !c.isEmpty { return (c, requesterUPN != nil ? "User" : "ServicePrincipal") }
        }
        guard let t = identityType, !t.isEmpty else { return nil }
        if t.lowercased() == "anonymous" { return ("anonymous:" + (storageIP ?? "-"), "Anonymous") }
        return ("\(t.lowercased()):\(accountName ?? "-")", t)
    }

    /// The caller address without its port (`203.0.113.5:443`, `[2001:db8::1]:443`).
    var storageIP: String? {
        guard let ip = callerIp else { return nil }
        if ip.hasPrefix("["), let end = ip.firstIndex(of: "]") { return String(ip[ip.index(after: ip.startIndex)..<end]) }
        if ip.filter({ $0 == ":" }).count == 1, let colon = ip.firstIndex(of: ":") { return String(ip[..<colon]) }
        return ip
    }

    /// The object touched; the URI without its query string, which may carry a SAS signature.
    var storageResource: String? {
        if let k = objectKey, !k.isEmpty { return k }
        guard let u = uri else { return resourceId }
        return String(u.split(separator: "?", maxSplits: 1).first ?? Substring(u))
    }

    var storageOutcome: Outcome {
        if let c = Int(statusCode ?? "") {
            if c == 401 || c == 403 { return .denied }
            return c < 400 ? .success : .error
        }
        switch metricResponseType ?? "Success" {
        case "Success": return .success
        case "AuthorizationError", "AuthenticationError", "SASAuthorizationError": return .denied
        default: return .error
        }
    }
}
