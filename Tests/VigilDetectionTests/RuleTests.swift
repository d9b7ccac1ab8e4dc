import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilDetection

func shippedRules() throws -> RuleSet {
    try RuleSet.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/rules.json"))
}

func ruleEvent(_ action: String, raw: String? = nil, outcome: Outcome = .success, type: String = "IAMUser",
               actor: String = "alice", account: String = "123456789012", principal: String = "arn:aws:iam::123456789012:user/alice",
               time: Int64 = 1_700_000_000_000, id: String = "e1") -> AccessEvent {
    var e = AccessEvent(time: time, id: id, source: .cloudtrail, principal: principal, principalType: type, action: action,
                        outcome: outcome, position: SourcePosition(input: "t", offset: 0, line: 1))
    e.actorName = actor
    e.account = account
    e.raw = raw.map { Array($0.utf8) }
    return e
}

func holds(_ condition: String, _ raw: String, actor: String = "alice") throws -> Bool {
    let c = try JSONDecoder().decode(Condition.self, from: Data(condition.utf8))
    var view = RecordView(ruleEvent("x:y", raw: raw, actor: actor))
    return c.holds(&view)
}

@Suite struct RuleFileTests {
    @Test func shippedRules_loadAndCoverTheHighRiskActions() throws {
        let rules = try shippedRules()
        let ids = Set(rules.rules.map(\.id))
        for id in ["cloudtrail-logging-stopped", "cloudtrail-selectors-weakened", "vpc-flow-logs-deleted", "leave-organization",
                   "resource-policy-public", "s3-acl-public", "iam-access-key-for-other-user", "iam-login-profile-for-other-user",
                   "iam-admin-policy-attached", "ebs-snapshot-shared", "ami-shared", "rds-snapshot-shared",
                   "ec2-password-data-burst", "secrets-mass-retrieval", "ssm-parameter-mass-decrypt",
                   "kms-key-disabled-or-deleted", "console-login-without-mfa", "root-activity"] {
            #expect(ids.contains(id), "missing rule \(id)")
        }
        for r in rules.rules { #expect(!r.attack.isEmpty, "rule \(r.id) has no ATT&CK technique") }
        #expect(rules.rules.first { $0.id == "ec2-password-data-burst" }!.threshold > 1)
    }

    @Test func load_rejectsUnknownKeysAndDuplicateIDs() {
        let bad = #"{"version":1,"rules":[{"id":"a","title":"t","severity":"high","actoins":["s3:X"]}]}"#
        #expect(throws: ConfigError.self) { try RuleSet.load(json: Array(bad.utf8)) }
        let dup = #"{"version":1,"rules":[{"id":"a","title":"t","severity":"high"},{"id":"a","title":"t","severity":"low"}]}"#
        #expect(throws: ConfigError.self) { try RuleSet.load(json: Array(dup.utf8)) }
        let badTechnique = #"{"version":1,"rules":[{"id":"a","title":"t","severity":"high","attack":["TA0005"]}]}"#
        #expect(throws: ConfigError.self) { try RuleSet.load(json: Array(badTechnique.utf8)) }
    }

    @Test func detailActions_areTheActionsOfRulesWithRecordConditions() throws {
        let d = try shippedRules().detailActions
        #expect(d.contains("iam:CreateAccessKey"))
        #expect(d.contains("s3:PutBucketPolicy"))
        #expect(!d.contains("cloudtrail:StopLogging"))
    }
}

@Suite struct ConditionTests {
    @Test func leaf_fansOutOverArrays() throws {
        let raw = #"{"requestParameters":{"launchPermission":{"add":{"items":[{"userId":"1"},{"group":"all"}]}}}}"#
        #expect(try holds(#"{"field":"requestParameters.launchPermission.add.items.group","equals":"all"}"#, raw))
        #expect(try holds(#"{"field":"requestParameters.launchPermission.add.items.userId","exists":true}"#, raw))
        #expect(try !holds(#"{"field":"requestParameters.launchPermission.remove","exists":true}"#, raw))
    }

    @Test func notEqualsField_comparesWithTheActor() throws {
        let raw = #"{"requestParameters":{"userName":"bob"}}"#
        #expect(try holds(#"{"field":"requestParameters.userName","notEqualsField":"$actor"}"#, raw, actor: "alice"))
        #expect(try !holds(#"{"field":"requestParameters.userName","notEqualsField":"$actor"}"#, raw, actor: "bob"))
        #expect(try !holds(#"{"field":"requestParameters.missing","notEqualsField":"$actor"}"#, raw))
    }

    @Test func booleans_matchJSONBooleansNotNumbers() throws {
        #expect(try holds(#"{"field":"a","equals":false}"#, #"{"a":false}"#))
        #expect(try !holds(#"{"field":"a","equals":false}"#, #"{"a":0}"#))
    }

    @Test(arguments: [
        (#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#, true),
        (#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}"#, true),
        (#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#, false),
        (#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"}}]}"#, false),
        (#"{"Statement":[{"Effect":"Deny","Principal":"*"}]}"#, false),
    ])
    func publicPolicy_flagsUnconditionedWildcardAllows(policy: String, expected: Bool) throws {
        let asObject = #"{"requestParameters":{"bucketPolicy":"# + policy + "}}"
        #expect(try holds(#"{"field":"requestParameters","publicPolicy":true}"#, asObject) == expected)
        let asText = #"{"requestParameters":{"policyText":"# + JSONText.quoted(policy) + "}}"
        #expect(try holds(#"{"field":"requestParameters","publicPolicy":true}"#, asText) == expected)
    }

    @Test func trustsOutsideAccount_flagsForeignAWSPrincipals() throws {
        let foreign = #"{"requestParameters":{"policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":\"sts:AssumeRole\"}]}"}}"#
        let own = #"{"requestParameters":{"policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:root\"},\"Action\":\"sts:AssumeRole\"}]}"}}"#
        let service = #"{"requestParameters":{"policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"}}]}"}}"#
        let cond = #"{"field":"requestParameters.policyDocument","trustsOutsideAccount":true}"#
        #expect(try holds(cond, foreign))
        #expect(try !holds(cond, own))
        #expect(try !holds(cond, service))
    }
}

@Suite struct NewerConditionTests {
    @Test func containsAny_isCaseInsensitive_andStartsWithAny_matchesPrefixes() throws {
        let raw = #"{"requestParameters":{"instanceType":"p4d.24xlarge"}}"#
        #expect(try holds(#"{"field":"requestParameters.instanceType","startsWithAny":["g5.","p4d."]}"#, raw))
        #expect(try !holds(#"{"field":"requestParameters.instanceType","startsWithAny":["p4de.","t3."]}"#, raw))
        var e = ruleEvent("sts:GetCallerIdentity")
        e.userAgent = "Boto3/1.26.0 md/Botocore#1.29.0 ua/2.0 os/linux#6.1.0-kali7-amd64 md/arch#x86_64"
        let c = try JSONDecoder().decode(Condition.self, from: Data(#"{"field":"$userAgent","containsAny":["-KALI","trufflehog"]}"#.utf8))
        var view = RecordView(e)
        #expect(c.holds(&view))
        #expect(!c.needsRecord)                       // the event's own field: no raw record kept
        e.userAgent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.ubuntu.22"
        var plain = RecordView(e)
        #expect(!c.holds(&plain))
    }
}

@Suite struct FullAccessPolicyTests {
    let c = #"{"field":"requestParameters.policyDocument","grantsFullAccess":true}"#

    @Test func anAllowOfEverythingOnEverything_isFullAccess_asTextOrURLEncoded() throws {
        let doc = #"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"#
        #expect(try holds(c, #"{"requestParameters":{"policyDocument":""# + doc + #""}}"#))
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22*%22%5D%2C%22Resource%22%3A%22*%22%7D%5D%7D"
        #expect(try holds(c, #"{"requestParameters":{"policyDocument":""# + encoded + #""}}"#))
        let notAction = #"{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":[\"*\"]}}"#
        #expect(try holds(c, #"{"requestParameters":{"policyDocument":""# + notAction + #""}}"#))
    }

    @Test func scopedOrDenyingPolicies_areNot() throws {
        let scoped = #"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"arn:aws:s3:::b/*\"}]}"#
        #expect(try !holds(c, #"{"requestParameters":{"policyDocument":""# + scoped + #""}}"#))
        let deny = #"{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}"#
        #expect(try !holds(c, #"{"requestParameters":{"policyDocument":""# + deny + #""}}"#))
    }
}
