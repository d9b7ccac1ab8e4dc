import Testing
import VigilCore

/// ``EventKeys`` and ``KeyIndex``: the event's identities as integers, and the table that finds a
/// principal's slot by them. The keys are defined as `fnv1a` of Strings Vigil already used, so the
/// byte-level routines must give exactly those values.
@Suite struct EventKeysTests {
    static let addresses = [
        "203.0.113.7", "10.0.0.1", "1.2.3.4", "255.255.255.255", "0.0.0.0", "01.02.003.4", "192.168.1.254",
        "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", "+1.2.3.4", "1.2.3.1000",
        "2001:db8::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "::1", "ec2.amazonaws.com", "AWS Internal",
        "s3.dualstack.us-east-1.amazonaws.com", "fe80::1%eth0", "", "-", "1.2.3.4:443", "١.٢.٣.٤",
    ]

    static let agents = [
        "aws-cli/2.13.5 Python/3.11.4 Linux/5.10 exe/x86_64.amzn.2", "Boto3/1.28.0 md/Botocore#1.31.0",
        "console.amazonaws.com", "AWS Internal", "Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.0",
        "aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21", "[aws-sdk-go/1.44.0 (go1.20; linux; amd64)]",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", "curl/", "curl/x7", "a/12345678901234567890",
        String(repeating: "x", count: 80) + "/1 rest", String(repeating: "y", count: 63) + "/9", " leading/1 space",
        "   ", "tab\there/1", "naïve/1", "slash/only/twice/3", "/5", "noslash", "", "S3Console/0.4, aws-internal/3",
    ]

    @Test func networkKeys_areTheHashOfTheNetworkString() {
        for ip in Self.addresses {
            #expect(AttributeKeys.networkKey(ip) == StableHash.fnv1a(AttributeKeys.network(ip)), "\(ip)")
        }
        #expect(AttributeKeys.networkKey(nil) == StableHash.fnv1a(AttributeKeys.network(nil)))
        // Same /24, same key; another /24, another key.
        #expect(AttributeKeys.networkKey("203.0.113.7") == AttributeKeys.networkKey("203.0.113.200"))
        #expect(AttributeKeys.networkKey("203.0.113.7") != AttributeKeys.networkKey("203.0.114.7"))
    }

    @Test func agentKeys_areTheHashOfTheFamilyString() {
        for ua in Self.agents {
            #expect(AttributeKeys.userAgentFamilyKey(ua) == StableHash.fnv1a(AttributeKeys.userAgentFamily(ua)), "\(ua)")
        }
        #expect(AttributeKeys.userAgentFamilyKey(nil) == StableHash.fnv1a(AttributeKeys.userAgentFamily(nil)))
        #expect(AttributeKeys.userAgentFamilyKey("aws-cli/2.13.5 Python/3.11") == AttributeKeys.userAgentFamilyKey("aws-cli/2.15.0"))
        #expect(AttributeKeys.userAgentFamilyKey("aws-cli/2.13.5") != AttributeKeys.userAgentFamilyKey("aws-cli/1.29.0"))
    }

    @Test func streamingHash_continuesWhereThePrefixEnded() {
        let whole = StableHash.fnv1a("iam:CreateAccessKey")
        #expect(StableHash.fnv1a(Array("CreateAccessKey".utf8), from: StableHash.fnv1a(Array("iam:".utf8))) == whole)
        #expect(StableHash.fnv1a(Array("iam:CreateAccessKey".utf8)) == whole)
    }

    @Test func anEventsKeys_nameItsFields() {
        var e = AccessEvent(time: 0, id: "7a1c-42", source: .cloudtrail, principal: "arn:aws:iam::111122223333:user/alice",
                            principalType: "IAMUser", action: "s3:GetObject", outcome: .success,
                            position: SourcePosition(input: "-", offset: 0, line: 1))
        e.sourceIP = "198.51.100.23"
        e.userAgent = "aws-cli/2.13.5 Python/3.11"
        let k = e.identity
        #expect(e.keys == nil)
        #expect(k.principal == StableHash.fnv1a(e.principal))
        #expect(k.action == StableHash.fnv1a("s3:GetObject"))
        #expect(k.resource == k.action)   // no resource: the action stands for it
        #expect(k.region == StableHash.fnv1a("-"))
        #expect(k.network == StableHash.fnv1a("198.51.100.0/24"))
        #expect(k.agent == StableHash.fnv1a("aws-cli/2"))
        #expect(k.id == StableHash.fnv1a("7a1c-42"))
        e.stampKeys()
        #expect(e.keys == k)
    }

    @Test func keyIndex_findsEveryEntry_throughGrowthAndRemoval() {
        var index = KeyIndex()
        var live: [Int: UInt64] = [:]
        var rng = SystemRandomNumberGenerator()
        for slot in 0..<5_000 {
            // Few distinct keys in the low range, so probe runs collide often.
            let key = slot % 7 == 0 ? UInt64(slot % 3) : rng.next()
            index.insert(key, slot)
            live[slot] = key
            if slot % 3 == 0, let victim = live.keys.randomElement() {
                index.remove(live[victim]!, value: victim)
                live.removeValue(forKey: victim)
            }
        }
        #expect(index.count == live.count)
        for (slot, key) in live { #expect(index.find(key, where: { $0 == slot }) == slot) }
        // A removed slot is gone even when its key is shared with live entries.
        let gone = (0..<5_000).first { live[$0] == nil && $0 % 7 == 0 }!
        #expect(index.find(UInt64(gone % 3), where: { $0 == gone }) == nil)
    }

    @Test func keyIndex_keepsCollidingKeysApart_byTheCallersCheck() {
        // Two names with one key (as a crafted FNV collision would have): both are kept and each
        // lookup gets its own.
        let names = ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/mallory"]
        var index = KeyIndex()
        index.insert(42, 0)
        index.insert(42, 1)
        #expect(index.find(42, where: { names[$0] == names[1] }) == 1)
        #expect(index.find(42, where: { names[$0] == names[0] }) == 0)
        #expect(index.find(42, where: { names[$0] == "arn:aws:iam::111122223333:user/eve" }) == nil)
        index.remove(42, value: 0)
        #expect(index.find(42, where: { names[$0] == names[1] }) == 1)
        #expect(index.find(42, where: { names[$0] == names[0] }) == nil)
    }
}
