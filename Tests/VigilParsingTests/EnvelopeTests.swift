import Foundation
import Testing
import VigilCore
@testable import VigilParsing

/// Records shipped through a forwarder read like the originals: the envelope is taken off once,
/// only when the record as it stands is no use, and the reader says so (`ParsePath.unwrapped`).
@Suite struct EnvelopeTests {
    static let trail = #"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2024-05-01T12:30:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":{"name":"org-trail"},"eventID":"7e1f-0001","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#

    static func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    static let envelopes: [(String, String)] = [
        ("EventBridge", #"{"version":"0","id":"c0e1","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111122223333","time":"2024-05-01T12:30:00Z","region":"us-east-1","resources":[],"detail":\#(trail)}"#),
        ("Splunk HEC", #"{"time":1714566600,"host":"cloudtrail","source":"s3://trail-bucket/AWSLogs","sourcetype":"aws:cloudtrail","index":"aws","event":\#(trail)}"#),
        ("Elastic hit", #"{"_index":"cloudtrail-2024.05.01","_id":"x1","_score":1.0,"_source":\#(trail)}"#),
        ("Fluent Bit message", #"{"date":1714566600.0,"message":"\#(escaped(trail))"}"#),
        ("Docker log", #"{"log":"\#(escaped(trail))\n","stream":"stdout","time":"2024-05-01T12:30:00.1Z"}"#),
    ]

    static func parse(_ text: String, format: SourceFormat? = nil) -> (ParseResult, ParsePath) {
        let p = FormatParser(format: format)
        var path = ParsePath.full
        let r = Array(text.utf8).withUnsafeBytes { p.parse($0, position: SourcePosition(input: "t", offset: 0, line: 1), path: &path) }
        return (r, path)
    }

    @Test(arguments: envelopes)
    func parse_envelopedRecord_givesTheOriginalsEvent(_ name: String, _ wrapped: String) throws {
        let (original, _) = Self.parse(Self.trail)
        let (inner, path) = Self.parse(wrapped)
        guard case .event(let want) = original, case .event(var got) = inner else {
            Issue.record("\(name): \(inner)")
            return
        }
        #expect(path == .unwrapped, "\(name)")
        got.raw = want.raw
        #expect(got == want, "\(name)")
        // With the format given, too.
        #expect(Self.parse(wrapped, format: .cloudtrail).1 == .unwrapped)
    }

    @Test func parse_recordThatParses_isNeverUnwrapped() {
        // A CloudTrail record whose own fields are named like an envelope's (`event` in requestParameters is nested;
        // here a top-level "message" member beside a complete record).
        let withMessage = Self.trail.replacingOccurrences(of: #""eventType":"AwsApiCall""#, with: #""eventType":"AwsApiCall","message":"{\"a\":1}""#)
        #expect(Self.parse(withMessage).1 != .unwrapped)
        if case .event = Self.parse(withMessage).0 {} else { Issue.record("record with a message member did not parse") }
    }

    @Test(arguments: [
        #"{"detail":"not an object","time":"x"}"#,
        #"{"detail":\#(trail),"event":\#(trail)}"#,            // two candidates: ambiguous
        #"{"message":"plain text, not JSON"}"#,
        #"{"_source":{"detail":\#(trail)}}"#,                 // nested envelopes are not followed
        #"{"_source":{"note":"an object that is no record"}}"#,
    ])
    func parse_notAUsableEnvelope_staysUnknown(_ text: String) {
        let (r, path) = Self.parse(text)
        if case .bad = r {} else { Issue.record("parsed: \(text)") }
        #expect(path != .unwrapped)
    }
}
