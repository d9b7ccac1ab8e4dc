import VigilCore

extension Simulator {
    static let firstNames = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
                             "nina", "oscar", "peggy", "rupert", "sybil", "trent", "uma", "victor", "wendy", "xavier",
                             "yara", "zoe", "liam", "noah", "emma", "olivia", "ava", "mia", "lucas", "amir", "sofia",
                             "chen", "priya", "kenji", "fatima", "diego", "ingrid", "tomas", "leila"]
    static let lastNames = ["smith", "jones", "garcia", "muller", "rossi", "tanaka", "kim", "singh", "nowak", "silva",
                            "dubois", "jensen", "okafor", "haddad", "novak", "larsen", "costa", "ivanova", "patel", "lee"]
    static let cliVersions = ["aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-aws exe/x86_64.ubuntu.22 prompt/off command/",
                              "aws-cli/2.17.2 Python/3.11.9 Darwin/23.5.0 exe/x86_64 prompt/off command/",
                              "aws-cli/2.13.5 Python/3.11.4 Windows/10 exe/AMD64 prompt/off command/",
                              "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
                              "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.155.0"]
    static let browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
    static let ispOctets = [24, 67, 73, 76, 81, 86, 92, 98, 109, 151, 174, 213]

    mutating func newUser(_ name: String, persona: Actor.Persona) -> Actor {
        let home = rng.publicIP(firstOctets: Self.ispOctets)
        let office = "\(rng.pick(org.officeNets)).\(rng.int(10...250))"
        var a = Actor(kind: .iamUser, persona: persona, name: name, principalId: "AIDA" + rng.upperAlnum(17),
                      accessKey: "AKIA" + rng.upperAlnum(16), account: org.account, ips: [office, office, home],
                      userAgent: rng.pick(Self.cliVersions))
        a.utcOffset = rng.weighted([(-5, 4), (-8, 3), (1, 3), (0, 2), (5, 1)])
        a.console = rng.chance(0.25)
        if a.console { a.userAgent = Self.browser }
        if rng.chance(0.15) { a.regions = ["us-east-1", "eu-west-1"] }
        return a
    }

    mutating func newRole(_ name: String, persona: Actor.Persona, ips: [String], ua: String) -> Actor {
        var a = Actor(kind: .role, persona: persona, name: name, principalId: "AROA" + rng.upperAlnum(17),
                      accessKey: "ASIA" + rng.upperAlnum(16), account: org.account, ips: ips, userAgent: ua)
        a.session = name + "-session"
        return a
    }

    mutating func awsIPs(_ n: Int) -> [String] { (0..<n).map { _ in rng.publicIP(firstOctets: [3, 18, 34, 52, 54]) } }

    /// People, CI, service roles and dormant accounts, `principals` in all.
    mutating func buildActors() {
        let n = config.principals
        let dormant = max(3, n / 30)
        let lambdaRoles = max(4, n / 8)
        let services = 1 + lambdaRoles + 3 + 2 + 1
        let humans = n - dormant - services
        var used = Set<String>()
        func name(_ rng: inout SimRandom) -> String {
            while true {
                let s = "\(rng.pick(Self.firstNames)).\(rng.pick(Self.lastNames))"
                if used.insert(s).inserted { return s }
                let t = s + "\(rng.int(2...99))"
                if used.insert(t).inserted { return t }
            }
        }
        for i in 0..<humans {
            let persona: Actor.Persona = i % 20 < 12 ? .developer : (i % 20 < 17 ? .analyst : .admin)
            actors.append(newUser(name(&rng), persona: persona))
        }
        var ci = newRole("ci-deploy", persona: .ciDeploy, ips: awsIPs(4), ua: "aws-cli/2.15.0 Python/3.11.6 Linux/6.2.0-1018-azure exe/x86_64.ubuntu.22 prompt/off command/cloudformation.deploy")
        ci.regions = ["us-east-1"]
        actors.append(ci)
        let teams = ["web", "api", "data", "ml", "billing", "search", "auth", "mobile"]
        for i in 0..<lambdaRoles {
            let team = teams[i % teams.count]
            var r = newRole("lambda-\(team)-\(i < teams.count ? "handler" : "worker\(i)")", persona: .lambdaExec,
                            ips: awsIPs(3), ua: "aws-sdk-nodejs/2.1550.0 linux/v18.19.0 exec-env/AWS_Lambda_nodejs18.x promise")
            r.session = r.name
            actors.append(r)
        }
        for i in 0..<3 { actors.append(newRole("etl-nightly-\(i)", persona: .etl, ips: awsIPs(2), ua: "Boto3/1.28.57 Python/3.10.12 Linux/5.10 exec-env/AWS_Glue Botocore/1.31.57")) }
        let saas = ["44.206.10.\(rng.int(1...200))", "44.206.11.\(rng.int(1...200))"]
        for i in 0..<2 { actors.append(newRole("monitoring-readonly-\(i)", persona: .monitoring, ips: saas, ua: "Datadog/1.0 aws-sdk-go/1.44.327 (go1.20.8; linux; amd64)")) }
        actors.append(newRole("backup-automation", persona: .backup, ips: awsIPs(2), ua: "aws-sdk-java/2.20.162 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.8"))
        for _ in 0..<dormant {
            var a = newUser(name(&rng), persona: .developer)
            a.dormant = true
            actors.append(a)
        }
    }
}
