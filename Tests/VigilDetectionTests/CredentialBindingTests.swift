import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilDetection

/// Credentials of an EC2 instance (or ECS task) are bound to the network they are first used from;
/// the same temporary key from another public network is credential exfiltration.
@Suite struct CredentialBindingTests {
    static let role = "arn:aws:iam::123456789012:role/web-app"

    static func call(_ d: inout Detector, ip: String, minute: Int64, id: String, session: String = "i-0abcdef1234567890",
                     key: String = "ASIAEXAMPLEKEY000001", agent: String = "aws-sdk-go/1.44", action: String = "s3:ListBuckets") -> [Alert] {
        var e = ruleEvent(action, type: "AssumedRole", principal: role, time: 1_700_000_000_000 + minute * EventTime.minute, id: id)
        e.sessionName = session
        e.accessKeyID = key
        e.sourceIP = ip
        e.userAgent = agent
        return d.process(e, features: quietFeatures(), score: 0.3, attribution: [], windowIDs: { [] }).alerts
    }

    /// The shipped rules with AWS's published ranges, as the command line loads them.
    static func withRanges() throws -> Detector {
        var rules = try shippedRules()
        rules.awsRanges = try AddressRanges.parse(TestSupport.read(TestSupport.packageRoot + "/Models/aws-ip-ranges.txt"))
        return Detector(config: DetectorConfig(), rules: rules)
    }

    @Test func process_instanceCredentialsFromASecondPublicNetwork_raiseOneHighAlertNamingBothNetworks() throws {
        // Without the ranges (`--aws-ranges none`) only the network of first use tells.
        var d = try detector()
        #expect(Self.call(&d, ip: "54.240.1.10", minute: 0, id: "a").isEmpty)
        #expect(Self.call(&d, ip: "54.240.1.77", minute: 1, id: "b").isEmpty)      // same /24
        #expect(Self.call(&d, ip: "10.0.3.4", minute: 2, id: "c").isEmpty)         // VPC endpoint, private
        #expect(Self.call(&d, ip: "ec2.amazonaws.com", minute: 3, id: "d").isEmpty)
        let stolen = Self.call(&d, ip: "198.51.100.23", minute: 30, id: "x", action: "iam:ListUsers")
        let a = try #require(stolen.first)
        #expect(a.finding.rule == "compute-credentials-off-network")
        #expect(a.finding.severity == .high)
        #expect(a.finding.events == ["x"])
        let text = a.finding.reasons[0].text
        #expect(text.contains("54.240.1.0/24") && text.contains("198.51.100.0/24") && text.contains("EC2 instance i-0abcdef1234567890"))
        #expect(Self.call(&d, ip: "198.51.100.24", minute: 31, id: "y").isEmpty)   // once per credential
    }

    @Test func process_withTheRanges_anotherAWSNetworkIsOffNetwork_andOutsideAWSSaysSo() throws {
        var d = try Self.withRanges()
        #expect(Self.call(&d, ip: "3.80.12.7", minute: 0, id: "a").isEmpty)         // an EC2 address
        let moved = Self.call(&d, ip: "52.94.133.131", minute: 5, id: "b")           // AWS, another network
        #expect(moved.map(\.finding.rule) == ["compute-credentials-off-network"])
        var e = try Self.withRanges()
        #expect(Self.call(&e, ip: "3.80.12.7", minute: 0, id: "a", key: "ASIASECOND").isEmpty)
        let out = try #require(Self.call(&e, ip: "198.51.100.23", minute: 5, id: "x", key: "ASIASECOND").first)
        #expect(out.finding.rule == "compute-credentials-outside-aws")
        #expect(out.finding.severity == .high && out.finding.attack.contains("T1552.005"))
        #expect(out.finding.reasons[0].text.contains("outside AWS's published ranges") && out.finding.reasons[0].text.contains("3.80.12.0/24"))
    }

    /// The instance reaches AWS through VPC endpoints only (private source addresses, never bound),
    /// or the trail starts after the theft: the first public use, from outside AWS, is the alert.
    @Test(arguments: [["10.0.3.4", "10.0.3.4"], []])
    func process_credentialsNeverSeenFromAPublicAWSAddress_alertOnTheirFirstUseOutsideAWS(_ before: [String]) throws {
        var d = try Self.withRanges()
        for (i, ip) in before.enumerated() { #expect(Self.call(&d, ip: ip, minute: Int64(i), id: "v\(i)").isEmpty) }
        let a = try #require(Self.call(&d, ip: "185.220.101.4", minute: 40, id: "x").first)
        #expect(a.finding.rule == "compute-credentials-outside-aws" && a.finding.events == ["x"])
        #expect(!a.finding.reasons[0].text.contains("first used from network"))
        #expect(Self.call(&d, ip: "185.220.101.9", minute: 41, id: "y").isEmpty)     // once per credential
        // ECS task credentials are held to the same.
        let task = "0123456789abcdef0123456789abcdef"
        #expect(Self.call(&d, ip: "203.0.113.9", minute: 42, id: "t", session: task, key: "ASIATASK").first?.finding.rule == "compute-credentials-outside-aws")
        // A person's session from the same address is not a compute credential.
        #expect(Self.call(&d, ip: "185.220.101.4", minute: 43, id: "p", session: "alice@example.com", key: "ASIAPERSON").isEmpty)
    }

    @Test func process_otherSessions_areNotBound() throws {
        var d = try detector()
        // A person's role session, and a Lambda function (many execution environments, many addresses).
        for (i, ip) in ["54.240.1.10", "198.51.100.23", "203.0.113.5"].enumerated() {
            #expect(Self.call(&d, ip: ip, minute: Int64(i), id: "p\(i)", session: "alice@example.com", key: "ASIAPERSON").isEmpty)
            #expect(Self.call(&d, ip: ip, minute: Int64(i), id: "l\(i)", session: "my-function", key: "ASIALAMBDA",
                              agent: "aws-sdk-nodejs/3 exec-env/AWS_Lambda_nodejs20.x").isEmpty)
        }
        #expect(d.credentials.keys.isEmpty)
    }

    @Test func process_ecsTaskCredentials_areBoundToo() throws {
        var d = try detector()
        let task = "0123456789abcdef0123456789abcdef"
        #expect(Self.call(&d, ip: "3.5.1.1", minute: 0, id: "t0", session: task, key: "ASIATASK").isEmpty)
        #expect(Self.call(&d, ip: "203.0.113.9", minute: 5, id: "t1", session: task, key: "ASIATASK").count == 1)
    }

    @Test func bindings_expireAfterTheCredentialLifetime_andSurviveASnapshot() throws {
        var d = try detector()
        _ = Self.call(&d, ip: "54.240.1.10", minute: 0, id: "a")
        let restored = try Detector(config: d.config, rules: d.rules,
                                    snapshot: JSONDecoder().decode(DetectorSnapshot.self, from: JSONEncoder().encode(d.snapshot())))
        var r = restored
        #expect(r.credentials.keys["ASIAEXAMPLEKEY000001"]?.network == "54.240.1.0/24")
        #expect(Self.call(&r, ip: "198.51.100.23", minute: 10, id: "x").count == 1)
        var c = CredentialBinding()
        c.keys["ASIAOLD"] = .init(network: "1.2.3.0/24", first: 0, last: 0, alerted: false)
        #expect(c.prune(newest: CredentialBinding.ttl + 1) == 1 && c.keys.isEmpty)
    }

    @Test(arguments: [("10.1.2.3", nil), ("172.20.0.1", nil), ("192.168.1.1", nil), ("100.64.0.9", nil),
                      ("AWS Internal", nil), ("fd00::1", nil), ("54.240.1.10", "54.240.1.0/24"),
                      ("2600:1f18:abcd:1::5", "2600:1f18:abcd::/48")] as [(String, String?)])
    func publicNetwork(_ ip: String, _ want: String?) {
        #expect(CredentialBinding.publicNetwork(ip) == want)
    }
}
