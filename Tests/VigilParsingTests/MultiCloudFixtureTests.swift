import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilParsing

/// GCP audit, Azure activity and Entra fixtures: each record parses (format detected per record)
/// with the principal, action and time its fields give, or is refused for a stated reason (no time,
/// another kind of record); nothing is mis-parsed. Per-file pass rates are printed.
@Suite struct MultiCloudFixtureTests {
    /// Case-insensitive lookup of a key path in decoded JSON.
    static func get(_ obj: Any?, _ path: String) -> Any? {
        var cur = obj
        for part in path.split(separator: ".") {
            guard let d = cur as? [String: Any] else { return nil }
            cur = d.first { $0.key.lowercased() == part.lowercased() }?.value
        }
        return cur
    }

    static func str(_ obj: Any?, _ path: String) -> String? {
        let v = get(obj, path)
        return v as? String ?? (v as? [String: Any])?["value"] as? String   // Azure REST form {"value": …}
    }

    static func time(_ s: String?) -> Int64? { s.flatMap { CloudTrailFixtureTests.expectedTime($0.count > 23 ? String($0.prefix(23)) + ($0.hasSuffix("Z") ? "Z" : "") : $0) } }

    struct Tally { var parsed = 0, refused = 0, wrong: [String] = [] }

    static func run(_ file: String, expect: ([String: Any]) -> (principal: String, action: String, time: Int64)?,
                    outcome: ([String: Any]) -> Outcome, refusal: ([String: Any]) -> String?) throws -> Tally {
        var t = Tally()
        for row in try TestSupport.fixture(file) {
            let log = row["log"] as! [String: Any]
            let bytes = Array(try JSONSerialization.data(withJSONObject: log))
            let r = bytes.withUnsafeBytes { FormatParser(format: nil).parse($0, position: SourcePosition(input: "f", offset: 0, line: 1)) }
            let name = "\(row["rule_id"]!) / \(row["test_name"]!)"
            if let want = refusal(log) {
                if case .bad(let why) = r, why == want { t.refused += 1 } else { t.wrong.append("\(name): expected \(want), got \(r)") }
                continue
            }
            guard let exp = expect(log) else { continue }
            guard case .event(let e) = r else { t.wrong.append("\(name): \(r)"); continue }
            if e.principal != exp.principal || e.action != exp.action || e.time != exp.time || e.outcome != outcome(log) {
                t.wrong.append("\(name): got \(e.principal) \(e.action) \(e.time) \(e.outcome), want \(exp) \(outcome(log))")
            } else {
                t.parsed += 1
            }
        }
        return t
    }

    @Test func gcpAudit_recordsParseToTheirOwnFields() throws {
        let t = try Self.run("gcp_audit.rule_tests.jsonl", expect: { log in
            let p = Self.get(log, "protoPayload")
            let service = (Self.str(p, "serviceName") ?? "unknown").replacingOccurrences(of: ".googleapis.com", with: "")
            return (Self.str(p, "authenticationInfo.principalEmail").flatMap { $0.isEmpty ? nil : $0 } ?? "unknown:gcp-audit",
                    service + ":" + (Self.str(p, "methodName") ?? "unknown"), Self.time(Self.str(log, "timestamp")) ?? -1)
        }, outcome: Self.gcpOutcome, refusal: { log in
            if Self.get(log, "protoPayload") == nil { return Self.get(log, "operationName") != nil ? nil : "unknown-format" }
            return Self.time(Self.str(log, "timestamp")) == nil ? "missing-time" : nil
        })
        print("GCP audit fixtures: \(t.parsed) parsed, \(t.refused) refused as expected, \(t.wrong.count) wrong")
        #expect(t.wrong.isEmpty, "\(t.wrong.prefix(5))")
        #expect(t.parsed > 140)
    }

    static func azureExpect(_ log: [String: Any]) -> (principal: String, action: String, time: Int64)? {
        let category = Self.str(log, "category") ?? ""
        if ["StorageRead", "StorageWrite", "StorageDelete"].contains(category) {
            let requester = [Self.str(log, "identity.requester.upn"), Self.str(log, "identity.requester.objectId"), Self.str(log, "identity.requester.appId")]
            var principal = requester.compactMap { $0 }.first { !$0.isEmpty }
            if principal == nil, let t = Self.str(log, "identity.type") {
                principal = t.lowercased() == "anonymous" ? "anonymous:" + ((Self.str(log, "callerIpAddress") ?? "-").split(separator: ":").first.map(String.init) ?? "-")
                    : "\(t.lowercased()):\(Self.str(log, "properties.accountName") ?? "-")"
            }
            return (principal ?? "unknown:azure-storage", "storage:" + (Self.str(log, "operationName") ?? ""), Self.time(Self.str(log, "time")) ?? -1)
        }
        let op = Self.str(log, "operationName") ?? ""
        let entra = Self.isEntra(category, op)
        let low = op.lowercased()
        let action: String
        if entra { action = "entra:" + op } else if let i = low.firstIndex(of: "/") { action = low[..<i] + ":" + low[low.index(after: i)...] } else { action = "azure:" + low }
        let claims = Self.get(log, "identity.claims") as? [String: Any]
        let candidates: [String?] = [claims?["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"] as? String,
                                     Self.str(log, "properties.userPrincipalName"),
                                     Self.str(log, "properties.initiatedBy.user.userPrincipalName"),
                                     claims?["name"] as? String, Self.str(log, "caller") ?? (Self.get(log, "identity") as? String),
                                     Self.str(log, "properties.initiatedBy.app.displayName"),
                                     claims?["appid"] as? String]
        let principal = candidates.compactMap { $0 }.first { !$0.isEmpty } ?? "unknown:\(entra ? "entra" : "azure-activity")"
        return (principal, action, Self.time(Self.str(log, "time")) ?? -1)
    }

    /// GCP: status code 7 (PERMISSION_DENIED) or 16 (UNAUTHENTICATED), or an authorization not
    /// granted, is a denial; any other non-zero code an error.
    static func gcpOutcome(_ log: [String: Any]) -> Outcome {
        let p = Self.get(log, "protoPayload")
        if let code = (Self.get(p, "status.code") as? NSNumber)?.intValue, code != 0 { return code == 7 || code == 16 ? .denied : .error }
        let infos = Self.get(p, "authorizationInfo") as? [[String: Any]] ?? []
        if infos.contains(where: { ($0.first { $0.key.lowercased() == "granted" }?.value as? NSNumber)?.boolValue == false }) { return .denied }
        return .success
    }

    /// Azure: 401/403 or Forbidden/Unauthorized is a denial; Failure/Failed or a non-zero Entra error
    /// an error; storage records by status code.
    static func azureOutcome(_ log: [String: Any]) -> Outcome {
        let code = Self.get(log, "statusCode").map { "\($0)" } ?? ""
        if ["StorageRead", "StorageWrite", "StorageDelete"].contains(Self.str(log, "category") ?? ""), let c = Int(code) {
            return c == 401 || c == 403 ? .denied : (c < 400 ? .success : .error)
        }
        let sig = (Self.str(log, "resultSignature") ?? "") + " " + code
        if sig.contains("Forbidden") || sig.contains("403") || sig.contains("Unauthorized") || sig.contains("401") { return .denied }
        if let e = (Self.get(log, "properties.status.errorCode") as? NSNumber)?.intValue, e != 0 { return .error }
        let r = (Self.str(log, "resultType") ?? "").lowercased()
        if ["failure", "failed", "fail", "error"].contains(r) { return .error }
        let entra = Self.isEntra(Self.str(log, "category") ?? "", Self.str(log, "operationName") ?? "")
        if entra, let n = Int(r), n != 0 { return .error }
        return .success
    }

    /// Entra records: the diagnostic-settings categories, or the audit category itself (Graph API
    /// exports: DirectoryManagement, ApplicationManagement, …); `Policy` is Entra only for sentence
    /// operation names (Activity Log operations are `Provider/path`).
    static func isEntra(_ category: String, _ op: String) -> Bool {
        let diagnostic = ["SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs", "AuditLogs", "ProvisioningLogs"]
        let graph = ["DirectoryManagement", "ApplicationManagement", "UserManagement", "GroupManagement", "RoleManagement",
                     "Authentication", "AuthenticationMethod", "DeviceManagement", "Device", "AdministrativeUnit", "PolicyManagement"]
        return diagnostic.contains(category) || graph.contains(category) || (category == "Policy" && !op.contains("/"))
    }

    static func azureRefusal(_ log: [String: Any]) -> String? {
        if (Self.str(log, "category") ?? "").lowercased().hasPrefix("kube-") { return "unsupported-kind" }
        if (Self.str(log, "operationName") ?? "").isEmpty { return "not-azure" }
        return Self.time(Self.str(log, "time")) == nil ? "missing-time" : nil
    }

    @Test func azureActivity_recordsParseOrAreRefusedNeverMisparsed() throws {
        let t = try Self.run("azure_monitor_activity.rule_tests.jsonl", expect: Self.azureExpect, outcome: Self.azureOutcome, refusal: Self.azureRefusal)
        print("Azure activity fixtures: \(t.parsed) parsed, \(t.refused) refused as expected (Kubernetes, no time), \(t.wrong.count) wrong")
        #expect(t.wrong.isEmpty, "\(t.wrong.prefix(5))")
        #expect(t.parsed > 150)
    }

    @Test func entra_recordsParseToTheirOwnFields() throws {
        let t = try Self.run("azure_entra_audit_signin.rule_tests.jsonl", expect: Self.azureExpect, outcome: Self.azureOutcome, refusal: Self.azureRefusal)
        print("Entra fixtures: \(t.parsed) parsed, \(t.refused) refused as expected, \(t.wrong.count) wrong")
        #expect(t.wrong.isEmpty, "\(t.wrong.prefix(5))")
        #expect(t.parsed > 30)
    }

    @Test func detector_recognisesEachFormatFromItsKeys() {
        func detect(_ s: String) -> SourceFormat? { Array(s.utf8).withUnsafeBytes { FormatDetector.detect($0) } }
        #expect(detect(#"{"eventVersion":"1.08","userIdentity":{}}"#) == .cloudtrail)
        #expect(detect(#"{"insertId":"x","protoPayload":{}}"#) == .gcpAudit)
        #expect(detect(#"{"time":"2024-01-01T00:00:00Z","operationName":"Microsoft.Storage/x/delete"}"#) == .azureActivity)
        #expect(detect(#"{"kind":"Event","apiVersion":"audit.k8s.io/v1"}"#) == nil)
    }
}

@Suite struct AzureStorageTests {
    static func parse(_ s: String) -> AccessEvent? {
        guard case .event(let e) = Array(s.utf8).withUnsafeBytes({ FormatParser(format: nil).parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }) else { return nil }
        return e
    }

    @Test func storageBlobLog_readsRequesterBytesAndHidesTheSASSignature() throws {
        let e = try #require(Self.parse(#"{"time":"2019-02-28T19:10:21.2123117Z","resourceId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default","category":"StorageRead","operationName":"GetBlob","statusCode":206,"statusText":"Success","callerIpAddress":"192.0.2.10:11111","correlationId":"ad881411","identity":{"type":"OAuth","requester":{"objectId":"o-1","upn":"user@contoso.com"}},"location":"uswestcentral","properties":{"accountName":"acct","userAgentHeader":"Azure-Storage/6.1.0","responseBodySize":2221},"uri":"https://acct.blob.core.windows.net/cont1/blob?sv=2021&sig=SECRET"}"#))
        #expect(e.source == .azureStorage)
        #expect(e.principal == "user@contoso.com")
        #expect(e.action == "storage:GetBlob")
        #expect(e.sourceIP == "192.0.2.10")
        #expect(e.bytesOut == 2221)
        #expect(e.resource == "https://acct.blob.core.windows.net/cont1/blob")
        #expect(e.outcome == .success && e.readOnly == true)
    }

    @Test func storageBlobLog_sharedKeyAndDeniedRequests() throws {
        let sas = try #require(Self.parse(#"{"time":"2024-12-19T19:15:08.173Z","category":"StorageRead","operationName":"GetBlobMetadata","statusCode":403,"callerIpAddress":"1.1.1.1:57484","identity":{"type":"SAS"},"properties":{"accountName":"acct","objectKey":"/acct/c/f.txt"}}"#))
        #expect(sas.principal == "sas:acct")
        #expect(sas.outcome == .denied)
        #expect(sas.resource == "/acct/c/f.txt")
    }
}
