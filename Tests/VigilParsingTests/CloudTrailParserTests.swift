import Testing
import VigilCore
import VigilTestSupport
@testable import VigilParsing

func parse(_ text: String, parser: CloudTrailParser = CloudTrailParser()) -> ParseResult {
    Array(text.utf8).withUnsafeBytes { parser.parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }
}

func event(_ text: String) -> AccessEvent? {
    if case .event(let e) = parse(text) { return e }
    return nil
}

func reason(_ r: ParseResult) -> String? {
    if case .bad(let why) = r { return why }
    return nil
}

@Suite struct CloudTrailParserTests {
    @Test func parse_whenIAMUser_usesUserARNAndKeepsKey() throws {
        let e = try #require(event(TestSupport.cloudTrail(id: "e1", time: "2024-05-01T03:12:09Z", user: "alice")))
        #expect(e.principal == "arn:aws:iam::123456789012:user/alice")
        #expect(e.principalType == "IAMUser")
        #expect(e.actorName == "alice")
        #expect(e.accessKeyID == "AKIAEXAMPLE")
        #expect(e.action == "s3:ListBuckets")
        #expect(e.time == EventTime.parse("2024-05-01T03:12:09Z"))
        #expect(e.id == "e1")
        #expect(e.outcome == .success)
    }

    @Test func parse_whenAssumedRoleSession_foldsToRoleAndKeepsSession() throws {
        let text = #"{"userIdentity":{"type":"AssumedRole","principalId":"AROAX:bob@example.com","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/bob@example.com","accessKeyId":"ASIAX","sessionContext":{"sourceIdentity":"bob","sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc"}}},"eventTime":"2024-05-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","eventID":"x"}"#
        let e = try #require(event(text))
        #expect(e.principal == "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_abc")
        #expect(e.sessionName == "bob@example.com")
        #expect(e.actorName == "bob@example.com")
        #expect(e.sourceIdentity == "bob")
        #expect(e.accessKeyID == "ASIAX")
    }

    @Test(arguments: [
        (#"{"type":"Root","arn":"arn:aws:iam::1:root","accountId":"1"}"#, "arn:aws:iam::1:root"),
        (#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#, "service:ec2.amazonaws.com"),
        (#"{"type":"AWSAccount","principalId":"AIDAX","accountId":"999"}"#, "account:999"),
        (#"{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/carol"}"#, "arn:aws:sts::1:federated-user/carol"),
        (#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/tester"}"#, "arn:aws:iam::1:role/tester"),
    ])
    func parse_foldsIdentityTypesToCanonicalKeys(identity: String, expected: String) throws {
        let text = #"{"userIdentity":"# + identity + #","eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"1"}"#
        #expect(try #require(event(text)).principal == expected)
    }

    @Test func parse_whenNoIdentity_usesUnknownPrincipal() throws {
        let e = try #require(event(#"{"eventTime":"2024-05-01T00:00:00Z","eventSource":"secretsmanager.amazonaws.com","eventName":"BatchGetSecretValue","eventID":"1"}"#))
        #expect(e.principal == "unknown:cloudtrail")
    }

    @Test func parse_whenNoEventID_hashesTheRecord() throws {
        let text = #"{"eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#
        let e = try #require(event(text))
        #expect(e.id == "h:" + Digest.sha256Hex(Array(text.utf8), hexDigits: 16))
        #expect(e.id.count == 18)
    }

    @Test(arguments: [
        (#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"1"}"#, "missing-time"),
        (#"{"eventTime":"yesterday","eventID":"1"}"#, "missing-time"),
        (#"{"eventTime":"2024-05-01T00:00:00Z","eventID":"1""#, "not-json"),
        (#"{"eventTime":"2024-05-01T00:00:00Z"} trailing"#, "not-json"),
        (#"[1,2,3]"#, "not-an-object"),
        (#"{"eventTime":"2024-05-01T00:00:00Z","a":tru}"#, "not-json"),
    ])
    func parse_whenRecordUnusable_namesTheReason(text: String, expected: String) {
        #expect(reason(parse(text)) == expected)
    }

    @Test func parse_whenInvalidUTF8_reportsInvalidUTF8() {
        var bytes = Array(#"{"eventTime":"2024-05-01T00:00:00Z","userAgent":"xx"}"#.utf8)
        bytes[bytes.count - 3] = 0xC3   // a lead byte followed by ASCII
        let r = bytes.withUnsafeBytes { CloudTrailParser().parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }
        #expect(reason(r) == "invalid-utf8")
    }

    @Test(arguments: [("AccessDenied", Outcome.denied), ("Client.UnauthorizedOperation", .denied), ("ThrottlingException", .error)])
    func parse_classifiesErrorCodes(code: String, expected: Outcome) throws {
        let e = try #require(event(TestSupport.cloudTrail(id: "1", time: "2024-05-01T00:00:00Z", error: code)))
        #expect(e.outcome == expected)
        #expect(e.errorCode == code)
    }

    @Test func parse_whenConsoleLoginFailed_isAnError() throws {
        let e = try #require(event(#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"eventTime":"2024-05-01T00:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"},"eventID":"1"}"#))
        #expect(e.outcome == .error)
        #expect(e.errorCode == "ConsoleLoginFailure")
    }

    @Test func parse_readsDataEventBytesAndResource() throws {
        let e = try #require(event(#"{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"eventTime":"2024-05-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"b","key":"k.csv"},"additionalEventData":{"bytesTransferredOut":12345.0,"bytesTransferredIn":0},"eventID":"1","readOnly":true}"#))
        #expect(e.bytesOut == 12345)
        #expect(e.resource == "arn:aws:s3:::b/k.csv")
        #expect(e.readOnly == true)
    }

    @Test func parse_prefersResourcesARN() throws {
        let e = try #require(event(#"{"eventTime":"2024-05-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","requestParameters":{"keyId":"k"},"resources":[{"ARN":"arn:aws:kms:us-east-1:1:key/abc","type":"AWS::KMS::Key"}],"eventID":"1"}"#))
        #expect(e.resource == "arn:aws:kms:us-east-1:1:key/abc")
    }

    @Test func parse_keepsRawRecordOnlyForDetailActions() throws {
        let text = TestSupport.cloudTrail(id: "1", time: "2024-05-01T00:00:00Z", source: "iam", name: "CreateAccessKey")
        guard case .event(let kept) = parse(text, parser: CloudTrailParser(detailActions: ["iam:CreateAccessKey"])),
              case .event(let plain) = parse(text) else { Issue.record("did not parse"); return }
        #expect(kept.raw == Array(text.utf8))
        #expect(plain.raw == nil)
    }

    @Test func parse_decodesEscapes() throws {
        let e = try #require(event(#"{"eventTime":"2024-05-01T00:00:00Z","userAgent":"a\"b\\c\u00e9\ud83d\ude00","eventID":"1"}"#))
        #expect(e.userAgent == "a\"b\\cé😀")
    }

    @Test func assumedRoleSessions_foldToTheirRole_byteForByte() {
        func fold(_ arn: String) -> [String?]? {
            CloudTrailIdentity.foldAssumedRole(arn).map { [$0.key, $0.actor, $0.session] }
        }
        #expect(fold("arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com")
                == ["arn:aws:iam::123456789012:role/Admin", "alice@example.com", "alice@example.com"])
        #expect(fold("arn:aws-cn:sts::210987654321:assumed-role/ci-deploy/i-0abc/extra")
                == ["arn:aws-cn:iam::210987654321:role/ci-deploy", "i-0abc/extra", "i-0abc/extra"])
        // No session part, an empty one, and a name that only looks like a role path.
        #expect(fold("arn:aws:sts::123456789012:assumed-role/Admin") == ["arn:aws:iam::123456789012:role/Admin", nil, nil])
        #expect(fold("arn:aws:sts::123456789012:assumed-role/Admin/") == ["arn:aws:iam::123456789012:role/Admin", "", ""])
        #expect(fold("arn:aws:iam::123456789012:user/assumed-role/x") == nil)
        #expect(fold("arn:aws:iam::123456789012:role/Admin") == nil)
        #expect(fold("arn:aws:sts:assumed-role/Admin/s") == nil)         // too few fields before the marker
        #expect(fold("ARN:aws:sts::1:assumed-role/Admin/s") == nil)
        #expect(fold(":assumed-role/") == nil)
        // A bridged or non-ASCII ARN takes the same route.
        #expect(fold("arn:aws:sts::123456789012:assumed-role/Rôle/sé") == ["arn:aws:iam::123456789012:role/Rôle", "sé", "sé"])
    }

    @Test func aSIEMExport_takesItsTimeFromAtTimestamp_whenEventTimeIsGone() throws {
        // Logstash's date filter moves eventTime to @timestamp and adds @version.
        let logstash = #"{"@timestamp":"2024-05-01T12:30:00.250Z","@version":"1","eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"e-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}"#
        let e = try #require(event(logstash))
        #expect(e.time == EventTime.parse("2024-05-01T12:30:00.250Z"))
        #expect(e.action == "s3:GetObject")
        // When both are there, eventTime is the record's time.
        let both = logstash.replacingOccurrences(of: #""@version":"1","#, with: #""eventTime":"2024-05-01T12:29:59Z","#)
        #expect(try #require(event(both)).time == EventTime.parse("2024-05-01T12:29:59Z"))
        // Neither: still missing-time.
        let neither = logstash.replacingOccurrences(of: #""@timestamp":"2024-05-01T12:30:00.250Z","#, with: "")
        #expect(event(neither) == nil)
    }
}
