import Foundation
import Testing
import VigilCore
import VigilParsing
import VigilPipeline
import VigilSources
import VigilTestSupport

/// Each Panther test record whose rule is one of Vigil's high-risk actions and which should fire
/// yields a finding of the matching Vigil rule when replayed alone (burst rules replayed
/// `rule_threshold` times with distinct IDs). Records whose expectation relies on mocks are exempt,
/// and so are records without an `eventTime`: the Contract dead-letters them (`missing-time`), which
/// `CloudTrailFixtureTests` checks.
@Suite struct FixtureDetectionTests {
    /// Panther rule → the Vigil rules that cover it.
    static let mapping: [String: Set<String>] = [
        "AWS.CloudTrail.Stopped": ["cloudtrail-logging-stopped"],
        "AWS.CloudTrail.EventSelectorsDisabled": ["cloudtrail-selectors-weakened"],
        "AWS.VPCFlow.LogsDeleted": ["vpc-flow-logs-deleted"],
        "AWS.CloudTrail.AttemptToLeaveOrg": ["leave-organization"],
        "AWS.CloudTrail.ResourceMadePublic": ["resource-policy-public", "s3-acl-public"],
        "AWS.IAM.Backdoor.User.Keys": ["iam-access-key-for-other-user"],
        "AWS.CloudTrail.LoginProfileCreatedOrModified": ["iam-login-profile-for-other-user"],
        "AWS.User.Login.Profile.Modified": ["iam-login-profile-for-other-user"],
        "AWS.IAM.AttachAdminUserPolicy": ["iam-admin-policy-attached"],
        "AWS.IAM.AttachAdminRolePolicy": ["iam-admin-policy-attached"],
        "AWS.CloudTrail.SnapshotMadePublic": ["ebs-snapshot-shared"],
        "AWS.CloudTrail.AMIModifiedForPublicAccess": ["ami-shared"],
        "AWS.RDS.SnapshotShared": ["rds-snapshot-shared"],
        "AWS.EC2.ManyPasswordReadAttempts": ["ec2-password-data-burst"],
        "AWS.SecretsManager.RetrieveSecrets": ["secrets-mass-retrieval"],
        "AWS.SecretsManager.BatchRetrieveSecrets": ["secrets-batch-retrieval", "secrets-batch-catch-all"],
        "AWS.SecretsManager.RetrieveSecretsMultiRegion": ["secrets-batch-retrieval", "secrets-batch-catch-all"],
        "AWS.SecretsManager.BatchRetrieveSecretsCatchAll": ["secrets-batch-catch-all"],
        "AWS.SSM.DecryptSSMParams": ["ssm-parameter-mass-decrypt"],
        "AWS.KMS.CustomerManagedKeyLoss": ["kms-key-disabled-or-deleted"],
        "AWS.Console.LoginWithoutMFA": ["console-login-without-mfa"],
        "AWS.Console.RootLogin": ["root-activity"],
        "AWS.Root.Activity": ["root-activity"],
        "AWS.IAM.BackdoorRole": ["role-trust-opened"],
        "AWS.Potential.Backdoor.Lambda": ["lambda-permission-added"],
        "AWS.CloudTrail.DNSLogsDeleted": ["dns-query-logs-deleted"],
        "AWS.CloudTrail.NetworkACLPermissiveEntry": ["network-open-to-world"],
        "AWS.EC2.Startup.Script.Change": ["ec2-user-data-modified"],
        "AWS.EC2.DownloadInstanceUserData": ["ec2-user-data-download-burst"],
        "AWS.S3.DeleteObject": ["s3-mass-deletion"],
        "GCP.Log.Bucket.Or.Sink.Deleted": ["gcp-logging-sink-deleted"],
        "GCP.Logging.Sink.Modified": ["gcp-logging-sink-deleted"],
        "GCP.GCS.Public": ["gcp-resource-public"],
        "Azure.MonitorActivity.DiagnosticSettings.Deleted": ["azure-diagnostic-settings-deleted"],
        "Azure.MonitorActivity.Compute.DiskSASURIGenerated": ["azure-disk-exported"],
        "Azure.MonitorActivity.KeyVault.Deleted": ["azure-key-vault-deleted"],
        "AWS.STS.GetCallerIdentity.TruffleHog": ["offensive-tool-user-agent"],
        "Azure.Audit.DomainSettingsModified": ["entra-federation-changed"],
        "GCP.Inbound.SSO.Profile.Created": ["gcp-sso-profile-changed"],
        "GCP.IAM.OrgFolderIAMChanges": ["gcp-org-iam-changed"],
        "GCP.VPC.Flow.Logs.Disabled": ["gcp-vpc-flow-logs-disabled"],
        "Azure.Audit.ServicePrincipalCredentialsAdded": ["entra-service-principal-credentials-added"],
        "Azure.Audit.RoleChangedPIM": ["entra-privileged-role-assigned"],
        "Azure.Audit.HighRiskSignIn": ["entra-risky-signin"],
        "Azure.Audit.ElevateUserAccessAdministrator": ["azure-elevate-access"],
        "AWS.S3.DeletePublicAccessBlock": ["s3-bucket-protection-removed"],
        "AWS.S3.SecurityControlDisabling": ["s3-bucket-protection-removed"],
        "AWS.S3.SuspendVersioning": ["s3-bucket-protection-removed"],
        "AWS.S3.DisableBucketLogging": ["s3-bucket-protection-removed"],
        "AWS.S3.DeleteBucketEncryption": ["s3-bucket-protection-removed"],
        "AWS.RDS.InstanceMadePublic": ["rds-made-public"],
        "AWS.RDS.PublicRestore": ["rds-made-public"],
        "AWS.RDS.DeletionProtectionDisabled": ["rds-deletion-protection-disabled"],
        "AWS.RDS.AutomatedBackupDeleted": ["rds-automated-backups-deleted"],
        "AWS.EC2.Traffic.Mirroring": ["ec2-traffic-mirroring"],
        "AWS.WAF.Disassociation": ["waf-disassociated"],
        "AWS.CloudTrail.CodebuildProjectMadePublic": ["codebuild-project-public"],
        "AWS.SecurityHub.Finding.Evasion": ["security-findings-suppressed"],
        "AWS.Macie.Evasion": ["security-findings-suppressed"],
        "AWS.Suspicious.SAML.Activity": ["saml-provider-changed"],
        "AWS.EC2.EBS.Encryption.Disabled": ["ebs-default-encryption-disabled"],
        "AWS.Bedrock.DeleteModelInvocationLoggingConfiguration": ["bedrock-safeguards-removed"],
        "AWS.Bedrock.GuardrailUpdateDelete": ["bedrock-safeguards-removed"],
        "GCP.Workforce.Pool.Created.or.Updated": ["gcp-identity-federation-changed"],
        "GCP.Workload.Identity.Pool.Created.or.Updated": ["gcp-identity-federation-changed"],
        "Azure.MonitorActivity.Authorization.ResourceLockDeleted": ["azure-resource-lock-deleted"],
        "Azure.MonitorActivity.RecoveryServices.ProtectionContainerDeleted": ["azure-backup-protection-removed"],
        "Azure.MonitorActivity.Storage.ImmutabilityPolicyDeleted": ["azure-backup-protection-removed"],
        "Azure.MonitorActivity.AlertRules.Deleted": ["azure-monitoring-removed"],
        "Azure.MonitorActivity.LogAnalyticsWorkspace.Deleted": ["azure-monitoring-removed"],
        "Azure.MonitorActivity.Network.FirewallPolicyDeleted": ["azure-monitoring-removed"],
        "Azure.MonitorActivity.Network.WatcherDeleted": ["azure-monitoring-removed"],
    ]

    /// The fixture files replayed by these tests (other formats are detected per record).
    static let files = ["aws_cloudtrail.rule_tests.jsonl", "gcp_audit.rule_tests.jsonl", "azure_monitor_activity.rule_tests.jsonl",
                        "azure_entra_audit_signin.rule_tests.jsonl"]

    /// Replays a record `times` times (distinct event IDs) and returns the rules that fired.
    static func firedRules(_ log: [String: Any], times: Int) throws -> Set<String> {
        var lines: [UInt8] = []
        for i in 0..<times {
            var copy = log
            // A distinct identity per copy, in whichever field the format takes it from.
            if copy["eventVersion"] != nil || copy["eventSource"] != nil || copy["eventName"] != nil { copy["eventID"] = "fixture-\(i)" }
            else if copy["protoPayload"] != nil { copy["insertId"] = "fixture-\(i)" }
            else { copy["id"] = "fixture-\(i)" }
            lines += Array(try JSONSerialization.data(withJSONObject: copy)) + [10]
        }
        let dir = TestSupport.tempDir()
        let path = write(lines, "fixture.jsonl", in: dir)
        let (alerts, _, _, _) = try runEngine([.file(path)])
        return Set(alerts.compactMap(\.finding.rule))
    }

    @Test func highRiskFixtures_whenExpectedToFire_yieldTheMatchingFinding() throws {
        let rows = try Self.files.flatMap { try TestSupport.fixture($0) }
        var checked = 0, timeless = 0, missed: [String] = []
        for row in rows {
            guard let rule = row["rule_id"] as? String, let want = Self.mapping[rule],
                  row["expected_result"] as? Bool == true, row["has_mocks"] as? Bool == false,
                  let log = row["log"] as? [String: Any] else { continue }
            if log["eventTime"] == nil && log["timestamp"] == nil && log["time"] == nil { timeless += 1; continue }
            let times = max(1, row["rule_threshold"] as? Int ?? 1)
            let fired = try Self.firedRules(log, times: times)
            checked += 1
            if fired.isDisjoint(with: want) { missed.append("\(rule) / \(row["test_name"]!) fired \(fired.sorted())") }
        }
        print("High-risk fixtures: \(checked - missed.count)/\(checked) fire the matching rule (\(timeless) without eventTime, dead-lettered)")
        #expect(checked >= 30)
        #expect(missed.isEmpty, "\(missed)")
    }

    @Test func highRiskFixtures_whenNotExpectedToFire_mostlyStayQuiet() throws {
        // Not a Contract requirement: a precision report. Panther's negatives include cases that a
        // behavioural tool rightly flags anyway (e.g. root activity Panther filters by event type),
        // so this asserts only a floor.
        let rows = try Self.files.flatMap { try TestSupport.fixture($0) }
        var quiet = 0, total = 0
        for row in rows {
            guard let rule = row["rule_id"] as? String, let want = Self.mapping[rule],
                  row["expected_result"] as? Bool == false, row["has_mocks"] as? Bool == false,
                  let log = row["log"] as? [String: Any], log["eventTime"] != nil || log["timestamp"] != nil || log["time"] != nil else { continue }
            total += 1
            if try Self.firedRules(log, times: max(1, row["rule_threshold"] as? Int ?? 1)).isDisjoint(with: want) { quiet += 1 }
        }
        print("High-risk fixtures expected quiet: \(quiet)/\(total) quiet")
        #expect(total > 20)
        #expect(Double(quiet) / Double(total) >= 0.75)
    }

    /// Okta System Log through the shipped mapping (`Models/mapping-example.json`).
    static let oktaMapping: [String: [String]] = [
        "Okta.Global.MFA.Disabled": ["okta-mfa-factor-deactivated"],
        "Okta.Support.Access": ["okta-support-impersonation"],
        "Okta.PasswordAccess": ["okta-password-revealed"],
        "Okta.AdminRoleAssigned": ["okta-admin-privilege-granted"],
        "Okta.APIKeyCreated": ["okta-api-token-created"],
    ]

    @Test func oktaFixtures_throughTheShippedMapping_yieldTheMatchingFinding() throws {
        let mapping = try JSONDecoder().decode(FieldMapping.self, from: Data(TestSupport.read(TestSupport.packageRoot + "/Models/mapping-example.json")))
        var checked = 0, missed: [String] = []
        for row in try TestSupport.fixture("okta_system_log.rule_tests.jsonl") {
            guard let rule = row["rule_id"] as? String, let want = Self.oktaMapping[rule], row["expected_result"] as? Bool == true,
                  var log = row["log"] as? [String: Any], log["published"] != nil else { continue }
            log["uuid"] = "okta-fixture-\(checked)"
            let path = write(Array(try JSONSerialization.data(withJSONObject: log)) + [10], "okta.jsonl", in: TestSupport.tempDir())
            let engine = try runEngine([]).engine
            engine.format = .mapped
            engine.mapping = mapping
            var fired: Set<String> = []
            try engine.run([.file(path)], emit: { if let r = $0.finding.rule { fired.insert(r) } }, deadLetter: { _ in })
            checked += 1
            if fired.isDisjoint(with: want) { missed.append("\(rule) fired \(fired.sorted())") }
        }
        print("Okta fixtures: \(checked - missed.count)/\(checked) fire the matching rule")
        #expect(checked >= 5)
        #expect(missed.isEmpty, "\(missed)")
    }
}
