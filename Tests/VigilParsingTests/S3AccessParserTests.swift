import Testing
import VigilCore
@testable import VigilParsing

/// Lines in the format of the AWS S3 server access log documentation.
@Suite struct S3AccessParserTests {
    static let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

    static func line(requester: String, op: String, key: String, status: Int, error: String = "-", bytes: String = "113",
                     agent: String = "aws-cli/2.15.0 Python/3.11", trailing: Bool = true) -> String {
        var l = "\(owner) awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 \(requester) 3E57427F3EXAMPLE \(op) \(key) "
        l += "\"GET /awsexamplebucket1/\(key) HTTP/1.1\" \(status) \(error) \(bytes) - 7 - \"-\" \"\(agent)\" -"
        if trailing {
            l += " s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -"
        }
        return l
    }

    static func event(_ l: String) -> AccessEvent? {
        guard case .event(let e) = Array(l.utf8).withUnsafeBytes({ S3AccessParser().parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }) else { return nil }
        return e
    }

    @Test func parse_documentedLine_givesTimeRequesterOperationAndBytes() throws {
        let e = try #require(Self.event(Self.line(requester: "arn:aws:iam::123456789012:user/alice", op: "REST.GET.OBJECT", key: "photos/a.jpg", status: 200, bytes: "2662992")))
        #expect(e.time == EventTime.parse("2019-02-06T00:00:38Z"))
        #expect(e.principal == "arn:aws:iam::123456789012:user/alice")
        #expect(e.action == "s3:GetObject")
        #expect(e.resource == "arn:aws:s3:::awsexamplebucket1/photos/a.jpg")
        #expect(e.bytesOut == 2_662_992)
        #expect(e.id == "3E57427F3EXAMPLE")
        #expect(e.source == .s3Access)
        #expect(e.userAgent == "aws-cli/2.15.0 Python/3.11")
        #expect(e.region == "us-west-1")
        #expect(e.outcome == .success)
    }

    @Test(arguments: [
        ("-", "anonymous:192.0.2.3", "Anonymous"),
        ("arn:aws:sts::123456789012:assumed-role/data-reader/i-0abc", "arn:aws:iam::123456789012:role/data-reader", "AssumedRole"),
        (owner, "s3-canonical:" + owner, "CanonicalUser"),
    ])
    func parse_foldsRequesters(requester: String, principal: String, type: String) throws {
        let e = try #require(Self.event(Self.line(requester: requester, op: "REST.GET.OBJECT", key: "k", status: 200)))
        #expect(e.principal == principal)
        #expect(e.principalType == type)
    }

    @Test func parse_whenTrailingFieldsAbsent_stillParses() throws {
        let e = try #require(Self.event(Self.line(requester: "-", op: "REST.PUT.OBJECT", key: "k", status: 200, trailing: false)))
        #expect(e.action == "s3:PutObject")
        #expect(e.region == nil)
    }

    @Test func parse_deniedAndBucketLevelOperations() throws {
        let denied = try #require(Self.event(Self.line(requester: "-", op: "REST.GET.OBJECT", key: "private/x", status: 403, error: "AccessDenied")))
        #expect(denied.outcome == .denied)
        #expect(denied.errorCode == "AccessDenied")
        let acl = try #require(Self.event(Self.line(requester: "-", op: "REST.PUT.ACL", key: "-", status: 200)))
        #expect(acl.action == "s3:PutBucketAcl")
        #expect(acl.resource == "arn:aws:s3:::awsexamplebucket1")
    }

    @Test func parse_quotedFieldsMayHoldSpacesAndEscapedQuotes() throws {
        let e = try #require(Self.event(Self.line(requester: "-", op: "REST.GET.OBJECT", key: "k", status: 200, agent: #"Mozilla/5.0 (X11; \"quoted\")"#)))
        #expect(e.userAgent == #"Mozilla/5.0 (X11; "quoted")"#)
    }

    @Test(arguments: ["hello world", "", "owner bucket [bad time] 1.2.3.4 - id REST.GET.OBJECT k \"GET / HTTP/1.1\" 200"])
    func parse_whenNotAnAccessLogLine_refuses(line: String) {
        let r = Array(line.utf8).withUnsafeBytes { S3AccessParser().parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }
        guard case .bad = r else { Issue.record("parsed \(line)"); return }
    }
}
