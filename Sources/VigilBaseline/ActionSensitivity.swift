/// How much harm an action can do, 0…1, from its service and verb.
///
/// Why a fixed table: sensitivity is domain knowledge (IAM, logging, KMS and sharing changes are the
/// moves attackers make), not something to learn from one organisation's traffic.
public enum ActionSensitivity {
    /// Operations that disable visibility, destroy keys, or open access to others.
    static let critical: Set<String> = [
        "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
        "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount", "guardduty:UpdateDetector",
        "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
        "kms:ScheduleKeyDeletion", "kms:DisableKey", "organizations:LeaveOrganization", "ec2:DeleteFlowLogs",
        "s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock",
        "s3:DeleteBucketPublicAccessBlock", "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute",
        "rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute", "iam:CreateAccessKey",
        "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:AttachUserPolicy", "iam:AttachRolePolicy",
        "iam:AttachGroupPolicy", "iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy",
        "iam:UpdateAssumeRolePolicy", "iam:CreateUser", "iam:AddUserToGroup", "lambda:AddPermission20150331v2",
        "logs:DeleteLogGroup", "securityhub:DisableSecurityHub", "macie2:DisableMacie",
    ]
    /// Reads of secrets and credentials.
    static let secretReads: Set<String> = [
        "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "ssm:GetParameter",
        "ssm:GetParameters", "ssm:GetParametersByPath", "ec2:GetPasswordData", "sts:GetFederationToken",
        "sts:GetSessionToken", "kms:Decrypt", "iam:ListAccessKeys", "ec2:DescribeInstanceAttribute",
    ]

    public static func of(_ action: String, readOnly: Bool?) -> Double {
        if critical.contains(action) { return 1.0 }
        if secretReads.contains(action) { return 0.7 }
        let op = action.split(separator: ":", maxSplits: 1).last.map(String.init) ?? action
        let service = action.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let isRead = readOnly ?? (op.hasPrefix("Get") || op.hasPrefix("List") || op.hasPrefix("Describe")
                                  || op.hasPrefix("Head") || op.hasPrefix("Lookup"))
        if service == "iam" || service == "organizations" || service == "kms" || service == "cloudtrail" {
            return isRead ? 0.3 : 0.8
        }
        if op.hasPrefix("Delete") || op.hasPrefix("Disable") || op.hasPrefix("Stop") { return 0.6 }
        return isRead ? 0.1 : 0.4
    }
}
