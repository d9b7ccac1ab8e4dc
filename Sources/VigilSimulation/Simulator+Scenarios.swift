import VigilCore

// Scenarios outside the default set, added by name (`vigil simulate --scenario NAME`), each with the
// routine of its principals and, unless `extraAttacks` is off, the attack: the shapes issue-level
// acceptance tests replay. They run after everything else, so the rest of the output is the same
// bytes with or without them; each attack step has its own scenario label (`name:step`), so a test
// can ask that every step shows up among some alert's evidence.

extension Simulator {
    /// The scenarios `--scenario` accepts.
    public static let extraScenarioNames = ["shared-ci-key", "instance-credentials-vpc-endpoint", "instance-credentials-no-history",
                                            "bedrock-hijack", "ssm-command-by-user"]

    /// The principals each extra scenario acts as (their canonical keys), for tests that check
    /// nothing about them alerts without the attack.
    public func principals(ofScenario name: String) -> [String] {
        let acct = org.account
        switch name {
        case "shared-ci-key": return ["arn:aws:iam::\(acct):user/ci-terraform"]
        case "instance-credentials-vpc-endpoint": return ["arn:aws:iam::\(acct):role/app-server"]
        case "instance-credentials-no-history": return ["arn:aws:iam::\(acct):role/batch-worker"]
        case "bedrock-hijack": return [scenarioVictim(2).principalKey]
        case "ssm-command-by-user": return [scenarioVictim(6).principalKey]
        default: return []
        }
    }

    /// An existing developer with a long-lived key, not a victim of the default scenarios.
    func scenarioVictim(_ i: Int) -> Actor {
        let devs = actors.filter { $0.persona == .developer && !$0.dormant && $0.kind == .iamUser && $0.startDay == 0 }
        return devs[i % devs.count]
    }

    mutating func extraScenarios() {
        let attackDay = config.days - 1
        for name in config.extraScenarios {
            switch name {
            case "shared-ci-key": sharedCIKey(attackDay: attackDay)
            case "instance-credentials-vpc-endpoint": instanceCredentialsThroughEndpoint(attackDay: attackDay)
            case "instance-credentials-no-history": instanceCredentialsWithoutHistory(attackDay: attackDay)
            case "bedrock-hijack": bedrockHijack(attackDay: attackDay)
            case "ssm-command-by-user": ssmCommandByUser(attackDay: attackDay)
            default: break
            }
        }
    }

    static let terraformAgent = "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.49.4 (go1.21.5; linux; amd64)"
    static let intruderCLI = "aws-cli/2.15.10 Python/3.11.6 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/secretsmanager.get-secret-value"

    /// Stolen CI keys: a Terraform user plans three times a day from its runner's address; on the
    /// last day an apply makes risky changes (a secrets read-out, a port opened to the world, a test
    /// trail deleted), and minutes later an intruder on the same key and the same network, with
    /// another client, reads twenty secrets, tries to stop the organisation trail (denied), opens
    /// SSH to the world, runs a command through SSM, sets a console password for an admin and
    /// overwrites a function's code.
    mutating func sharedCIKey(attackDay: Int) {
        let ip = "52.23.\(rng.int(0...255)).\(rng.int(1...254))"
        var ci = Actor(kind: .iamUser, persona: .ciDeploy, name: "ci-terraform", principalId: "AIDA" + rng.upperAlnum(17),
                       accessKey: "AKIA" + rng.upperAlnum(16), account: org.account, ips: [ip], userAgent: Self.terraformAgent)
        ci.regions = ["us-east-1"]
        let plan: [Call] = [
            Call("sts", "GetCallerIdentity", readOnly: true), Call("ec2", "DescribeVpcs", readOnly: true),
            Call("ec2", "DescribeSubnets", readOnly: true), Call("ec2", "DescribeSecurityGroups", readOnly: true),
            Call("ec2", "DescribeInstances", readOnly: true), Call("iam", "GetRole", readOnly: true, request: Call.obj([("roleName", "app-server")])),
            Call("iam", "GetRolePolicy", readOnly: true), Call("s3", "GetBucketPolicy", readOnly: true),
            Call("s3", "GetBucketVersioning", readOnly: true), Call("lambda", "GetFunction20150331v2", readOnly: true),
            Call("secretsmanager", "DescribeSecret", readOnly: true), Call("cloudtrail", "DescribeTrails", readOnly: true),
            Call("kms", "DescribeKey", readOnly: true), Call("rds", "DescribeDBInstances", readOnly: true),
        ]
        for d in 0..<config.days {
            for hour in [7, 12, 17] {
                var t = day(d) + Int64(hour) * EventTime.hour + Int64(rng.int(0...1_800_000))
                for c in plan + plan.prefix(rng.int(0...6)) {
                    t += Int64(rng.int(200...1_500))
                    emit(ci, c, at: t, ip: ip, ua: Self.terraformAgent, label: "benign", scenario: "shared-ci-key:routine")
                }
            }
        }
        guard config.extraAttacks else { return }
        var t = day(attackDay) + 14 * EventTime.hour
        func ingress(_ port: Int) -> Call {
            Call("ec2", "AuthorizeSecurityGroupIngress", readOnly: false,
                 request: "{\"groupId\":\"sg-0\(rng.hex(16))\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":\"tcp\",\"fromPort\":\(port),\"toPort\":\(port),\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/0\"}]}}]}}")
        }
        // Terraform's own apply: the risky changes that open the findings.
        var apply = org.secrets.prefix(12).map { catalog.getSecret($0) }
        apply += [ingress(443), Call("cloudtrail", "DeleteTrail", readOnly: false, request: Call.obj([("name", "tf-test-trail")]))]
        for c in apply {
            t += Int64(rng.int(300...2_000))
            emit(ci, c, at: t, ip: ip, ua: Self.terraformAgent, label: "benign", scenario: "shared-ci-key:iac-risky")
        }
        // The intruder, minutes later: same key, same network, another client.
        t += 4 * EventTime.minute
        func step(_ calls: [Call], _ label: String) {
            for c in calls {
                t += Int64(rng.int(1_500...9_000))
                emit(ci, c, at: t, ip: ip, ua: Self.intruderCLI, label: "attack", scenario: "shared-ci-key:" + label)
            }
        }
        step((org.secrets.shuffledPrefix(16, &rng) + org.secrets.prefix(4)).map { catalog.getSecret($0) }, "secrets-read")
        step([Call("cloudtrail", "StopLogging", readOnly: false, request: Call.obj([("name", "arn:aws:cloudtrail:us-east-1:\(org.account):trail/org-trail")])).denied()],
             "stop-logging-attempt")
        step([ingress(22)], "ssh-opened")
        step([Call("ssm", "SendCommand", readOnly: false,
                   request: "{\"instanceIds\":[\"\(rng.pick(org.instances))\"],\"documentName\":\"AWS-RunShellScript\",\"parameters\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}")],
             "ssm-command")
        step([Call("iam", "CreateLoginProfile", readOnly: false, request: "{\"userName\":\"ops-breakglass\",\"passwordResetRequired\":false}")], "login-profile")
        step([Call("lambda", "UpdateFunctionCode20150331v2", readOnly: false, request: Call.obj([("functionName", rng.pick(org.functions)), ("publish", "true")]))],
             "lambda-code")
    }

    /// An EC2 instance role reached only through VPC endpoints (private addresses), its credentials
    /// then used from a VPS.
    mutating func instanceCredentialsThroughEndpoint(attackDay: Int) {
        var app = Actor(kind: .role, persona: .lambdaExec, name: "app-server", principalId: "AROA" + rng.upperAlnum(17),
                        accessKey: "ASIA" + rng.upperAlnum(16), account: org.account, ips: ["10.0.\(rng.int(0...15)).\(rng.int(4...250))"],
                        userAgent: "aws-sdk-java/2.21.29 Linux/5.10.205-195.807.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS Java/17.0.9")
        app.session = "i-0" + rng.hex(16)
        let routine = [Call("ssm", "GetParameter", readOnly: true, request: Call.obj([("name", "/prod/api/config")])),
                       Call("kms", "Decrypt", readOnly: true), Call("sts", "GetCallerIdentity", readOnly: true),
                       Call("secretsmanager", "GetSecretValue", readOnly: true, request: Call.obj([("secretId", "prod/api/db-password")]))]
        for d in 0..<config.days {
            for h in stride(from: 0, to: 24, by: 3) {
                var c = rng.pick(routine)
                c.vpcEndpoint = "vpce-0" + rng.hex(16)
                emit(app, c, at: day(d) + Int64(h) * EventTime.hour + Int64(rng.int(0...3_000_000)), ip: app.ips[0], label: "benign",
                     scenario: "instance-credentials-vpc-endpoint:routine")
            }
        }
        guard config.extraAttacks else { return }
        credentialsUsedOutside(app, probe: Call("iam", "ListAttachedRolePolicies", readOnly: true, request: Call.obj([("roleName", "app-server")])),
                               at: day(attackDay) + 3 * EventTime.hour, scenario: "instance-credentials-vpc-endpoint:outside-aws")
    }

    /// What a thief does first with instance credentials: who am I, what is there.
    mutating func credentialsUsedOutside(_ a: Actor, probe: Call, at t: Int64, scenario: String) {
        _ = attack(a, [Call("sts", "GetCallerIdentity", readOnly: true), Call("s3", "ListBuckets", readOnly: true), probe],
                   from: t, gapMs: 4_000...30_000, ip: attackerIP, ua: Self.attackerAgents[3], scenario: scenario)
    }

    /// Credentials of an instance the log has no history of, first seen used from outside AWS.
    mutating func instanceCredentialsWithoutHistory(attackDay: Int) {
        guard config.extraAttacks else { return }
        var batch = Actor(kind: .role, persona: .etl, name: "batch-worker", principalId: "AROA" + rng.upperAlnum(17),
                          accessKey: "ASIA" + rng.upperAlnum(16), account: org.account, ips: [], userAgent: Self.attackerAgents[3])
        batch.session = "i-0" + rng.hex(16)
        credentialsUsedOutside(batch, probe: Call("s3", "ListObjects", readOnly: true, request: Call.obj([("bucketName", "acme-datalake-raw")])),
                               at: day(attackDay) + 5 * EventTime.hour, scenario: "instance-credentials-no-history:outside-aws")
    }

    /// LLMjacking: a developer's key, which never touched Bedrock, checks model access and then
    /// invokes models in a burst (some refused), from a VPS.
    mutating func bedrockHijack(attackDay: Int) {
        guard config.extraAttacks else { return }
        let victim = scenarioVictim(2)
        var calls = [Call("bedrock", "ListFoundationModels", readOnly: true),
                     Call("bedrock", "GetFoundationModelAvailability", readOnly: true, request: Call.obj([("modelId", "anthropic.claude-3-sonnet-20240229-v1:0")]))]
        for i in 0..<40 {
            var c = Call("bedrock", i % 4 == 3 ? "InvokeModelWithResponseStream" : "InvokeModel", readOnly: true,
                         request: Call.obj([("modelId", "anthropic.claude-3-sonnet-20240229-v1:0")]))
            if i < 3 { c = c.denied() }
            calls.append(c)
        }
        calls.append(Call("bedrock", "Converse", readOnly: true, request: Call.obj([("modelId", "anthropic.claude-3-haiku-20240307-v1:0")])))
        _ = attack(victim, calls, from: day(attackDay) + 2 * EventTime.hour, gapMs: 500...6_000, ip: attackerIP,
                   ua: "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.15.0 md/arch#x86_64 lang/python#3.10.12 Botocore/1.34.51",
                   scenario: "bedrock-hijack:invocations")
    }

    /// A user runs a shell command on an instance through SSM, from the user's usual network and
    /// client (an insider, or a session taken over).
    mutating func ssmCommandByUser(attackDay: Int) {
        guard config.extraAttacks else { return }
        let victim = scenarioVictim(6)
        let calls = [Call("ssm", "DescribeInstanceInformation", readOnly: true),
                     Call("ssm", "SendCommand", readOnly: false,
                          request: "{\"instanceIds\":[\"\(rng.pick(org.instances))\"],\"documentName\":\"AWS-RunShellScript\",\"parameters\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}")]
        _ = attack(victim, calls, from: day(attackDay) + Int64(10 - victim.utcOffset) * EventTime.hour, gapMs: 20_000...60_000,
                   ip: victim.ips[0], ua: victim.userAgent, scenario: "ssm-command-by-user:send-command")
    }
}

extension Array {
    /// The first `n` elements after a shuffle by `rng` (all of them, in shuffled order, when fewer).
    func shuffledPrefix(_ n: Int, _ rng: inout SimRandom) -> [Element] {
        var a = self
        for i in a.indices.reversed() where i > 0 { a.swapAt(i, rng.int(0...i)) }
        return Array(a.prefix(n))
    }
}
