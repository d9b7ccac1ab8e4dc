import Foundation
import Testing
@testable import VigilAWS

/// Signature Version 4 against AWS's published test suite (`aws-sig-v4-test-suite`: credentials
/// AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service `service`, host example.amazonaws.com):
/// each vector's request signs to the `Authorization` header AWS publishes for it; for a few, the
/// canonical request and string to sign are checked line by line too.
@Suite struct SigV4Tests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", source: "test suite")
    static let stamp = SigV4.Stamp(amzDate: "20150830T123600Z")
    static let scope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var method = "GET"
        var path = "/"
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body = ""
        var signedHeaders = "host;x-amz-date"
        var signature: String
        var description: String { name }
    }

    /// The suite's vectors, with the signatures AWS publishes.
    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "get-unreserved", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
               signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector(name: "get-slashes", path: "//example//", signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
        Vector(name: "get-vanilla-query-order-key-case", query: [("Param2", "value2"), ("Param1", "value1")],
               signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(name: "get-vanilla-query-order-value", query: [("Param1", "value2"), ("Param1", "value1")],
               signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        Vector(name: "get-vanilla-utf8-query", query: [("\u{1234}", "bar")],
               signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(name: "get-header-value-order", headers: [("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")],
               signedHeaders: "host;my-header1;x-amz-date", signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
        Vector(name: "get-header-key-duplicate", headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
               signedHeaders: "host;my-header1;x-amz-date", signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Vector(name: "get-header-value-trim", headers: [("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
               signedHeaders: "host;my-header1;my-header2;x-amz-date", signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(name: "post-x-www-form-urlencoded", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded")],
               body: "Param1=value1", signedHeaders: "content-type;host;x-amz-date",
               signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ]

    static func sign(_ v: Vector) -> SigV4.Signed {
        let r = SignableRequest(method: v.method, host: "example.amazonaws.com", path: v.path, query: v.query,
                                headers: v.headers, payloadHash: SigV4.payloadHash(Array(v.body.utf8)))
        return SigV4.sign(r, credentials: credentials, region: "us-east-1", service: "service", at: stamp)
    }

    @Test(arguments: vectors)
    func sign_publishedVector_givesItsPublishedAuthorization(_ v: Vector) {
        #expect(Self.sign(v).authorization == "AWS4-HMAC-SHA256 Credential=\(Self.scope), SignedHeaders=\(v.signedHeaders), Signature=\(v.signature)")
    }

    @Test func sign_getVanillaQueryOrderKeyCase_canonicalRequestAndStringToSignLineByLine() {
        let s = Self.sign(Self.vectors[3])
        #expect(s.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == [
            "GET", "/", "Param1=value1&Param2=value2", "host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "",
            "host;x-amz-date", SigV4.emptyPayloadHash,
        ])
        #expect(s.stringToSign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0")
    }

    @Test func sign_postForm_hashesTheBody() {
        let s = Self.sign(Self.vectors[9])
        #expect(s.canonicalRequest.hasSuffix("\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"))
        #expect(s.stringToSign.hasSuffix("\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"))
    }

    /// Temporary credentials: the session token is sent and signed; S3 signs its payload header and
    /// keeps the key's single encoding.
    @Test func sign_withSessionTokenAndForS3_signsTheirHeaders_andNeverWritesTheSecret() {
        var creds = Self.credentials
        creds.sessionToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI"
        let r = SignableRequest(method: "GET", host: "trail.s3.us-east-1.amazonaws.com",
                                path: "/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/07/a%20b.json.gz", payloadHash: "UNSIGNED-PAYLOAD")
        let s = SigV4.sign(r, credentials: creds, region: "us-east-1", service: "s3", at: Self.stamp, s3: true)
        #expect(s.authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        #expect(s.canonicalRequest.split(separator: "\n")[1] == "/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/07/a%20b.json.gz")
        #expect(s.headers.contains { $0.name == "X-Amz-Security-Token" && $0.value == creds.sessionToken })
        let text = s.authorization + s.canonicalRequest + s.stringToSign + creds.description
        #expect(!text.contains(creds.secretAccessKey) && !creds.description.contains(creds.sessionToken!))
    }

    @Test(arguments: [("/a/b", "/a/b"), ("//example//", "/example/"), ("/a/./b/../c", "/a/c"), ("/a%2Fb", "/a%252Fb"), ("", "/")])
    func canonicalURI_normalisesAndEncodesAgain_forServicesOtherThanS3(_ path: String, _ want: String) {
        #expect(SigV4.canonicalURI(path) == want)
    }

    @Test(arguments: [([("Param2", "value2"), ("Param1", "value1")], "Param1=value1&Param2=value2"),
                      ([("a", "10"), ("a", "9")], "a=10&a=9"), ([("q", "a+b c")], "q=a%2Bb%20c"),
                      ([("continuation-token", "1/abc=="), ("list-type", "2")], "continuation-token=1%2Fabc%3D%3D&list-type=2")]
                     as [([(String, String)], String)])
    func canonicalQuery_sortsBytewiseAndEncodesRFC3986(_ q: [(String, String)], _ want: String) {
        #expect(SigV4.canonicalQuery(q.map { (name: $0.0, value: $0.1) }) == want)
    }

    @Test func stamp_fromEventTime() {
        #expect(SigV4.Stamp(epochMillis: 1_440_938_160_000) == Self.stamp)
    }
}
