import Foundation
import Testing
@testable import VigilAWS

/// What a queue message says was written: S3's own notifications, SNS's wrapping, CloudTrail's
/// notification and EventBridge's event, as AWS sends them.
@Suite struct ObjectNotificationTests {
    static let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_Ab12.json.gz"
    static let s3Event = #"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-05-01T00:06:12.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"org-trail","arn":"arn:aws:s3:::org-trail"},"object":{"key":"AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_Ab12.json.gz","size":1843}}}]}"#

    @Test func anS3EventNotificationNamesItsObject() throws {
        #expect(try ObjectNotification.objects(in: Self.s3Event) == [AnnouncedObject(bucket: "org-trail", key: Self.key)])
    }

    @Test func snsWrapsTheSameNotificationAsText() throws {
        let wrapped = try String(data: JSONSerialization.data(withJSONObject: ["Type": "Notification", "MessageId": "1", "Message": Self.s3Event]), encoding: .utf8)!
        #expect(try ObjectNotification.objects(in: wrapped).map(\.name) == ["s3://org-trail/" + Self.key])
    }

    @Test func cloudTrailsOwnNotificationListsItsKeys() throws {
        let inner = #"{"s3Bucket":"org-trail","s3ObjectKey":["a/1.json.gz","a/2.json.gz"]}"#
        let wrapped = try String(data: JSONSerialization.data(withJSONObject: ["Type": "Notification", "Message": inner]), encoding: .utf8)!
        #expect(try ObjectNotification.objects(in: wrapped).map(\.key) == ["a/1.json.gz", "a/2.json.gz"])
    }

    @Test func eventBridgeObjectCreatedNamesItsObject() throws {
        let e = #"{"version":"0","detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"org-trail"},"object":{"key":"a/1.json.gz","size":10}}}"#
        #expect(try ObjectNotification.objects(in: e) == [AnnouncedObject(bucket: "org-trail", key: "a/1.json.gz")])
    }

    @Test func keysAreFormDecodedAndOtherEventsAnnounceNothing() throws {
        let spaced = Self.s3Event.replacingOccurrences(of: Self.key, with: "exports/May+report%282%29.json")
        #expect(try ObjectNotification.objects(in: spaced).map(\.key) == ["exports/May report(2).json"])
        #expect(try ObjectNotification.objects(in: #"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"org-trail"}"#).isEmpty)
        let removed = Self.s3Event.replacingOccurrences(of: "ObjectCreated:Put", with: "ObjectRemoved:Delete")
        #expect(try ObjectNotification.objects(in: removed).isEmpty)
    }

    @Test func anythingElseIsUnusableWithItsReason() {
        #expect(throws: ObjectNotification.Unusable(reason: "sqs-not-json")) { try ObjectNotification.objects(in: "hello") }
        #expect(throws: ObjectNotification.Unusable(reason: "not-an-object-notification")) { try ObjectNotification.objects(in: #"{"hello":1}"#) }
        #expect(throws: ObjectNotification.Unusable(reason: "sns-message-not-json")) {
            try ObjectNotification.objects(in: #"{"Type":"Notification","Message":"plain words"}"#)
        }
    }
}
