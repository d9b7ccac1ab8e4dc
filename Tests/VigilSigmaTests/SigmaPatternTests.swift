import Testing
@testable import VigilDetection

@Suite struct SigmaPatternTests {
    @Test(arguments: [
        ("DeleteTrail", "deletetrail", true),
        ("DeleteTrail", "DeleteTrails", false),
        ("Delete*", "DeleteBucketPolicy", true),
        ("*Bucket*", "PutBucketAcl", true),
        ("Get?essionToken", "GetSessionToken", true),
        ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false),
        ("", "", true),
        ("*", "", true),
    ])
    func matches_wildcardsAndCase(pattern: String, value: String, expected: Bool) {
        #expect(SigmaPattern(pattern).matches(value) == expected)
    }

    @Test func cased_respectsCase() {
        #expect(!SigmaPattern("DeleteTrail", cased: true).matches("deletetrail"))
        #expect(SigmaPattern("DeleteTrail", cased: true).matches("DeleteTrail"))
    }

    @Test func regex_requiredLiteral_isAFilterNotAChange() throws {
        #expect(SigmaRegex.requiredLiteral(".+:assumed-role/aws:.+") == ":assumed-role/aws:")
        #expect(SigmaRegex.requiredLiteral("a|b") == nil)
        #expect(SigmaRegex.requiredLiteral("(?i)abc") == nil)
        #expect(SigmaRegex.requiredLiteral("abc?") == "ab")
        let re = try SigmaRegex(".+:assumed-role/aws:.+")
        #expect(re.matches("arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"))
        #expect(!re.matches("arn:aws:sts::123456789012:assumed-role/admin/alice"))
    }

    @Test func cidr_v4AndV6() {
        let v4 = SigmaCIDR("10.0.0.0/8")!
        #expect(v4.contains("10.1.2.3"))
        #expect(!v4.contains("11.1.2.3"))
        #expect(!v4.contains("not-an-ip"))
        let v6 = SigmaCIDR("2001:db8::/32")!
        #expect(v6.contains("2001:db8:1::5"))
        #expect(!v6.contains("2001:db9::1"))
        #expect(SigmaCIDR("10.0.0.0/33") == nil)
    }
}
