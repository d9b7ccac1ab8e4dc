import VigilCore

extension Simulator {
    static let vpsOctets = [5, 45, 91, 141, 146, 185, 193]
    static let attackerAgents = [
        "aws-cli/1.16.312 Python/2.7.18 Linux/4.19.0-kali botocore/1.13.48",
        "Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 lang/python#3.11.6 cfg/retry-mode#legacy Botocore/1.34.11",
        "python-requests/2.31.0",
        "aws-sdk-go/1.44.298 (go1.20.5; linux; amd64)",
    ]

    /// The labelled attack scenarios, spread over the later days at the victims' night or day.
    mutating func attacks() {
        let devs = actors.filter { $0.persona == .developer && !$0.dormant && $0.kind == .iamUser }
        let analysts = actors.filter { $0.persona == .analyst }
        let admins = actors.filter { $0.persona == .admin }
        let lambdas = actors.filter { $0.persona == .lambdaExec }
        let last = config.days - 1
        func when(_ d: Int, _ hourUTC: Double) -> Int64 { day(min(d, last)) + Int64(hourUTC * Double(EventTime.hour)) }

        stolenKey(victim: devs[5], at: when(2, 2.7))
        enumerationBurst(victim: actors.first { $0.persona == .ciDeploy }!, at: when(3, 3.2))
        massDownload(victim: analysts[1], at: when(3, 22.5))
        loggingDisabled(victim: admins[0], at: when(4, 1.4))
        backdoorUser(victim: admins[1], at: when(4, 9.9))
        snapshotExfil(victim: devs[8], at: when(5, 4.1))
        secretsDump(victim: lambdas[2], at: when(5, 13.3))
        dormantRevival(victim: actors.first { $0.dormant }!, at: when(5, 19.6))
        roleBackdoor(victim: admins[2 % admins.count], at: when(6, 0.8))
        lambdaBackdoor(victim: devs[11], at: when(6, 11.2))
        passwordHarvest(victim: devs[14], at: when(6, 15.7))
    }

    /// Emits attacker calls with a new network and client, labelled with the scenario.
    mutating func attack(_ a: Actor, _ calls: [Call], from t0: Int64, gapMs: ClosedRange<Int>, ip: String, ua: String,
                         scenario: String, region: String = "us-east-1") -> Int64 {
        var t = t0
        for c in calls {
            t += Int64(rng.int(gapMs))
            emit(a, c, at: t, ip: ip, ua: ua, region: region, label: "attack", scenario: scenario)
        }
        return t
    }

    var attackerIP: String { mutating get { rng.publicIP(firstOctets: Self.vpsOctets) } }

    /// A developer's long-lived key, leaked in a repository, used at night from a VPS: whoami and
    /// discovery, some of it denied (TruffleHog-style validation, then Pacu-style enumeration).
    mutating func stolenKey(victim: Actor, at t: Int64) {
        var calls = [Call("sts", "GetCallerIdentity", readOnly: true), Call("iam", "GetUser", readOnly: true),
                     Call("iam", "ListAttachedUserPolicies", readOnly: true, request: Call.obj([("userName", victim.name)])),
                     Call("iam", "ListUserPolicies", readOnly: true, request: Call.obj([("userName", victim.name)])),
                     Call("iam", "ListUsers", readOnly: true).denied(), Call("iam", "ListRoles", readOnly: true).denied(),
                     Call("s3", "ListBuckets", readOnly: true, request: Call.obj([("Host", "s3.amazonaws.com")])),
                     Call("ec2", "DescribeRegions", readOnly: true)]
        for r in ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"] {
            calls.append(Call("ec2", "DescribeInstances", readOnly: true, request: "{\"filterSet\":{}}"))
            calls.append(Call("ec2", "DescribeSecurityGroups", readOnly: true, request: "{\"filterSet\":{\"region\":\"\(r)\"}}"))
        }
        calls += [Call("lambda", "ListFunctions20150331", readOnly: true), Call("secretsmanager", "ListSecrets", readOnly: true).denied(),
                  Call("rds", "DescribeDBInstances", readOnly: true)]
        _ = attack(victim, calls, from: t, gapMs: 2_000...25_000, ip: attackerIP, ua: Self.attackerAgents[0], scenario: "stolen-access-key")
    }

    /// CI credentials exfiltrated from a runner and used to enumerate everything, fast.
    mutating func enumerationBurst(victim: Actor, at t: Int64) {
        var a = victim
        a.session = "GitHubActions-\(rng.int(100_000...999_999))"
        let recon: [(String, String)] = [
            ("iam", "ListUsers"), ("iam", "ListRoles"), ("iam", "ListGroups"), ("iam", "ListPolicies"), ("iam", "GetAccountAuthorizationDetails"),
            ("iam", "ListAccessKeys"), ("iam", "GetAccountSummary"), ("s3", "ListBuckets"), ("s3", "GetBucketPolicy"), ("s3", "GetBucketAcl"),
            ("ec2", "DescribeInstances"), ("ec2", "DescribeVpcs"), ("ec2", "DescribeSubnets"), ("ec2", "DescribeSecurityGroups"),
            ("ec2", "DescribeSnapshots"), ("ec2", "DescribeImages"), ("ec2", "DescribeKeyPairs"), ("lambda", "ListFunctions20150331"),
            ("lambda", "GetPolicy20150331v2"), ("rds", "DescribeDBInstances"), ("rds", "DescribeDBSnapshots"), ("secretsmanager", "ListSecrets"),
            ("ssm", "DescribeParameters"), ("kms", "ListKeys"), ("kms", "ListAliases"), ("cloudtrail", "DescribeTrails"),
            ("guardduty", "ListDetectors"), ("organizations", "DescribeOrganization"), ("sns", "ListTopics"), ("sqs", "ListQueues"),
            ("dynamodb", "ListTables"), ("ecr", "DescribeRepositories"), ("eks", "ListClusters"), ("route53", "ListHostedZones"),
            ("cloudformation", "ListStacks"), ("logs", "DescribeLogGroups"), ("sts", "GetCallerIdentity"), ("glue", "GetDatabases"),
        ]
        var calls: [Call] = []
        for _ in 0..<280 {
            let (s, n) = rng.pick(recon)
            let c = Call(s, n, readOnly: true)
            calls.append(rng.chance(0.45) && s != "sts" ? c.denied() : c)
        }
        _ = attack(a, calls, from: t, gapMs: 300...2_000, ip: attackerIP, ua: Self.attackerAgents[1], scenario: "enumeration-burst")
    }

    /// An analyst's credentials used from outside to pull whole buckets, sensitive ones included.
    mutating func massDownload(victim: Actor, at t: Int64) {
        var calls = [Call("s3", "ListBuckets", readOnly: true, request: Call.obj([("Host", "s3.amazonaws.com")]))]
        for b in org.sensitiveBuckets + ["acme-datalake-curated"] {
            calls.append(catalog.listObjects(bucket: b))
            for i in 0..<350 {
                calls.append(catalog.s3Get(&rng, bucket: b, key: "export/\(i)-\(rng.hex(6)).csv.gz", bytes: rng.int(1_000_000...9_000_000)))
            }
        }
        _ = attack(victim, calls, from: t, gapMs: 150...1_200, ip: attackerIP, ua: Self.attackerAgents[3], scenario: "s3-mass-download")
    }

    /// Defense evasion before the real work: CloudTrail stopped, flow logs and GuardDuty removed.
    mutating func loggingDisabled(victim: Actor, at t: Int64) {
        let calls = [Call("cloudtrail", "DescribeTrails", readOnly: true),
                     Call("cloudtrail", "GetTrailStatus", readOnly: true, request: Call.obj([("name", "org-trail")])),
                     Call("cloudtrail", "StopLogging", readOnly: false, request: Call.obj([("name", "arn:aws:cloudtrail:us-east-1:\(org.account):trail/org-trail")])),
                     Call("ec2", "DescribeFlowLogs", readOnly: true),
                     Call("ec2", "DeleteFlowLogs", readOnly: false, request: "{\"DeleteFlowLogsRequest\":{\"FlowLogId\":{\"content\":\"fl-0\(rng.hex(16))\",\"tag\":1}}}"),
                     Call("guardduty", "ListDetectors", readOnly: true),
                     Call("guardduty", "DeleteDetector", readOnly: false, request: Call.obj([("detectorId", rng.hex(32))]))]
        _ = attack(victim, calls, from: t, gapMs: 5_000...40_000, ip: attackerIP, ua: Self.attackerAgents[0], scenario: "logging-disabled")
    }

    /// Persistence: a new admin user with a key and a console password, then used.
    mutating func backdoorUser(victim: Actor, at t: Int64) {
        let name = "svc-backup-\(rng.hex(4))"
        var key = Call("iam", "CreateAccessKey", readOnly: false, request: Call.obj([("userName", name)]))
        let newKey = "AKIA" + rng.upperAlnum(16)
        key.response = "{\"accessKey\":{\"userName\":\"\(name)\",\"accessKeyId\":\"\(newKey)\",\"status\":\"Active\",\"createDate\":\"Nov 6, 2026 10:00:00 AM\"}}"
        let calls = [Call("iam", "CreateUser", readOnly: false, request: Call.obj([("userName", name)])),
                     Call("iam", "AttachUserPolicy", readOnly: false, request: Call.obj([("userName", name), ("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess")])),
                     key,
                     Call("iam", "CreateLoginProfile", readOnly: false, request: "{\"userName\":\"\(name)\",\"passwordResetRequired\":false}")]
        let ip = attackerIP
        let end = attack(victim, calls, from: t, gapMs: 8_000...30_000, ip: ip, ua: Self.attackerAgents[1], scenario: "backdoor-admin-user")
        var backdoor = Actor(kind: .iamUser, persona: .attacker, name: name, principalId: "AIDA" + rng.upperAlnum(17),
                             accessKey: newKey, account: org.account, ips: [ip], userAgent: Self.attackerAgents[1])
        backdoor.regions = ["us-east-1"]
        _ = attack(backdoor, [Call("sts", "GetCallerIdentity", readOnly: true), Call("iam", "ListUsers", readOnly: true),
                              Call("s3", "ListBuckets", readOnly: true), Call("ec2", "DescribeInstances", readOnly: true)],
                   from: end + 3_600_000, gapMs: 3_000...20_000, ip: ip, ua: Self.attackerAgents[1], scenario: "backdoor-admin-user")
    }

    /// Exfiltration by sharing: snapshot a volume and share it with the attacker's account.
    mutating func snapshotExfil(victim: Actor, at t: Int64) {
        let snap = "snap-0" + rng.hex(16)
        var create = Call("ec2", "CreateSnapshot", readOnly: false, request: Call.obj([("volumeId", rng.pick(org.volumes))]))
        create.response = "{\"snapshotId\":\"\(snap)\",\"status\":\"pending\"}"
        let calls = [Call("ec2", "DescribeVolumes", readOnly: true), create, Call("ec2", "DescribeSnapshots", readOnly: true),
                     Call("ec2", "ModifySnapshotAttribute", readOnly: false,
                          request: "{\"snapshotId\":\"\(snap)\",\"createVolumePermission\":{\"add\":{\"items\":[{\"userId\":\"444455556666\"}]}},\"attributeType\":\"CREATE_VOLUME_PERMISSION\"}")]
        _ = attack(victim, calls, from: t, gapMs: 10_000...90_000, ip: attackerIP, ua: Self.attackerAgents[2], scenario: "ebs-snapshot-shared")
    }

    /// A compromised workload role lists secrets and reads them all.
    mutating func secretsDump(victim: Actor, at t: Int64) {
        var calls = [Call("secretsmanager", "ListSecrets", readOnly: true)]
        for s in org.secrets { calls.append(catalog.getSecret(s)) }
        _ = attack(victim, calls, from: t, gapMs: 800...5_000, ip: attackerIP, ua: Self.attackerAgents[1], scenario: "secrets-dump")
    }

    /// A contractor account unused for three months signs in without MFA and looks around.
    mutating func dormantRevival(victim: Actor, at t: Int64) {
        var calls = [consoleLogin(mfa: false), Call("s3", "ListBuckets", readOnly: true), Call("iam", "ListUsers", readOnly: true)]
        for _ in 0..<6 { calls.append(catalog.s3Get(&rng, bucket: rng.pick(org.sensitiveBuckets), key: "reports/\(rng.hex(6)).xlsx", bytes: rng.int(100_000...3_000_000))) }
        _ = attack(victim, calls, from: t, gapMs: 10_000...60_000, ip: attackerIP, ua: Self.browser, scenario: "dormant-account-revival")
    }

    /// Persistence: a privileged role's trust policy opened to an outside account.
    mutating func roleBackdoor(victim: Actor, at t: Int64) {
        let doc = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":\"sts:AssumeRole\"}]}"
        let calls = [Call("iam", "GetRole", readOnly: true, request: Call.obj([("roleName", "ops-admin")])),
                     Call("iam", "UpdateAssumeRolePolicy", readOnly: false, request: Call.obj([("roleName", "ops-admin"), ("policyDocument", doc)]))]
        _ = attack(victim, calls, from: t, gapMs: 20_000...60_000, ip: attackerIP, ua: Self.attackerAgents[0], scenario: "role-backdoor")
    }

    /// Persistence: a Lambda function given a public function URL and invoke permission for anyone.
    mutating func lambdaBackdoor(victim: Actor, at t: Int64) {
        let fn = rng.pick(org.functions)
        let calls = [Call("lambda", "GetFunction20150331v2", readOnly: true, request: Call.obj([("functionName", fn)])),
                     Call("lambda", "CreateFunctionUrlConfig20211031", readOnly: false, request: Call.obj([("functionName", fn), ("authType", "NONE")])),
                     Call("lambda", "AddPermission20150331v2", readOnly: false,
                          request: Call.obj([("functionName", fn), ("statementId", "public-url"), ("action", "lambda:InvokeFunctionUrl"), ("principal", "*"), ("functionUrlAuthType", "NONE")]))]
        _ = attack(victim, calls, from: t, gapMs: 15_000...70_000, ip: attackerIP, ua: Self.attackerAgents[3], scenario: "lambda-backdoor")
    }

    /// Credential access: GetPasswordData across many Windows instances, mostly refused.
    mutating func passwordHarvest(victim: Actor, at t: Int64) {
        var calls = [catalog.describeInstances(&rng)]
        for _ in 0..<30 {
            let c = Call("ec2", "GetPasswordData", readOnly: true, request: Call.obj([("instanceId", rng.pick(org.instances))]))
            calls.append(rng.chance(0.6) ? c.denied() : c)
        }
        _ = attack(victim, calls, from: t, gapMs: 1_000...8_000, ip: attackerIP, ua: Self.attackerAgents[2], scenario: "ec2-password-harvest")
    }
}
