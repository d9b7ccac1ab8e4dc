import Foundation
import Testing
import VigilTestSupport
@testable import VigilCore

/// Address blocks answer membership exactly at their edges, in both families, from AWS's own file
/// format or the compact copy, and refuse what is not an address block.
@Suite struct AddressRangesTests {
    static let published = """
    {"syncToken": "1787411825", "createDate": "2026-08-22-15-17-05",
     "prefixes": [{"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "AMAZON"},
                  {"ip_prefix": "3.5.144.0/22", "region": "ap-northeast-2", "service": "S3"},
                  {"ip_prefix": "3.5.142.0/23", "region": "ap-northeast-2", "service": "EC2"},
                  {"ip_prefix": "52.94.133.131/32", "region": "us-east-1", "service": "AMAZON"}],
     "ipv6_prefixes": [{"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "service": "EC2"}]}
    """

    @Test(arguments: [("3.5.140.0", true), ("3.5.147.255", true), ("3.5.139.255", false), ("3.5.148.0", false),
                      ("52.94.133.131", true), ("52.94.133.130", false), ("2600:1f18::", true),
                      ("2600:1f18:7fff:ffff:ffff:ffff:ffff:ffff", true), ("2600:1f18:8000::", false),
                      ("2600:1F18:7BCD:1::5", true), ("2600:1f18:abcd:1::5", false), ("2600:1f17:ffff::1", false), ("::ffff:3.5.140.1", false),
                      ("ec2.amazonaws.com", false), ("AWS Internal", false), ("", false), ("3.5.140", false),
                      ("3.5.140.256", false), ("2600:1f18::1::2", false)] as [(String, Bool)])
    func contains_answersAtTheEdgesOfMergedBlocks(_ ip: String, _ inside: Bool) throws {
        let r = try AddressRanges.parse(Array(Self.published.utf8))
        #expect(r.contains(ip) == inside)
    }

    @Test func parse_mergesOverlappingAndAdjacentBlocks_andTheCompactFormReadsBackTheSame() throws {
        let r = try AddressRanges.parse(Array(Self.published.utf8))
        #expect(r.ipv4Intervals == 2 && r.ipv6Intervals == 1)   // 3.5.140.0/22 + /23 inside + adjacent /22: one interval
        #expect(r.about.contains("2026-08-22"))
        let text = "# \(r.about)\n" + r.intervalLines().joined(separator: "\n") + "\n"
        let back = try AddressRanges.parse(Array(text.utf8))
        #expect(back == r && back.about == r.about)
        #expect(r.intervalLines().first == "3.5.140.0-3.5.147.255")
    }

    @Test(arguments: ["3.5.140.0/33", "3.5.140.0", "not-an-address/8", "3.5.140.9-3.5.140.1", "2600::/129", "3.5.1.1-2600::1"])
    func parse_refusesWhatIsNotABlock(_ line: String) {
        #expect(throws: ConfigError.self) { try AddressRanges.parse(Array("# x\n\(line)\n".utf8)) }
    }

    @Test func parse_refusesAFileWithoutBlocks() {
        #expect(throws: ConfigError.self) { try AddressRanges.parse(Array("# only a comment\n".utf8)) }
        #expect(throws: ConfigError.self) { try AddressRanges.parse(Array("{\"createDate\": \"x\"}".utf8)) }
    }

    /// The shipped copy is AWS's file of 2026-08-22, and covers the same addresses.
    @Test func shippedCopy_isDatedAndAgreesWithThePublishedFile() throws {
        let shipped = try AddressRanges.parse(TestSupport.read(TestSupport.packageRoot + "/Models/aws-ip-ranges.txt"))
        #expect(shipped.about.contains("createDate 2026-08-22"))
        let zst = TestSupport.packageRoot + "/../shared/ranges/aws-ip-ranges.json.zst"
        guard FileManager.default.fileExists(atPath: zst) else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["zstd", "-dcq", zst]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let json = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return }
        let published = try AddressRanges.parse(Array(json))
        #expect(published == shipped)
        for ip in ["3.80.12.7", "52.94.133.131", "44.206.1.5"] { #expect(shipped.contains(ip)) }
        for ip in ["198.51.100.23", "185.220.101.4", "10.0.0.1", "2a01:4f8::1"] { #expect(!shipped.contains(ip)) }
    }
}
