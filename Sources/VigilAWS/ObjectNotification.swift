import Foundation

/// An object a queue message announces.
public struct AnnouncedObject: Sendable, Hashable {
    public var bucket: String
    public var key: String
    public var name: String { "s3://\(bucket)/\(key)" }
}

/// What a queue message says was written, in the four shapes that announce CloudTrail objects:
/// - an S3 event notification (`Records[].s3`, keys URL-encoded with `+` for a space);
/// - the same, or CloudTrail's own notification, wrapped by SNS (`"Type":"Notification"` with the
///   payload as text in `Message`);
/// - CloudTrail's SNS notification (`s3Bucket` and the `s3ObjectKey` list);
/// - an EventBridge "Object Created" event (`detail.bucket.name`, `detail.object.key`).
/// S3's `s3:TestEvent` and events other than object creation announce nothing. Anything else is
/// not a notification (the message is dead-lettered with this reason).
public enum ObjectNotification {
    public struct Unusable: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    public static func objects(in body: String) throws(Unusable) -> [AnnouncedObject] {
        guard let data = body.data(using: .utf8), let any = try? JSONSerialization.jsonObject(with: data), let doc = any as? [String: Any] else {
            throw Unusable(reason: "sqs-not-json")
        }
        return try objects(doc, depth: 0)
    }

    static func objects(_ doc: [String: Any], depth: Int) throws(Unusable) -> [AnnouncedObject] {
        if doc["Type"] as? String == "Notification", let message = doc["Message"] as? String, depth == 0 {
            guard let data = message.data(using: .utf8), let inner = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw Unusable(reason: "sns-message-not-json")
            }
            return try objects(inner, depth: 1)
        }
        if doc["Event"] as? String == "s3:TestEvent" { return [] }
        if let records = doc["Records"] as? [[String: Any]] {
            var out: [AnnouncedObject] = []
            for r in records {
                guard let s3 = r["s3"] as? [String: Any] else { continue }
                if let name = r["eventName"] as? String, !name.hasPrefix("ObjectCreated") { continue }
                guard let b = (s3["bucket"] as? [String: Any])?["name"] as? String,
                      let k = (s3["object"] as? [String: Any])?["key"] as? String else { throw Unusable(reason: "s3-event-without-object") }
                out.append(AnnouncedObject(bucket: b, key: formDecode(k)))
            }
            if out.isEmpty && !records.contains(where: { $0["s3"] != nil }) { throw Unusable(reason: "not-an-object-notification") }
            return out
        }
        if let bucket = doc["s3Bucket"] as? String, let keys = doc["s3ObjectKey"] as? [String] {
            return keys.map { AnnouncedObject(bucket: bucket, key: $0) }
        }
        if doc["detail-type"] as? String == "Object Created", let detail = doc["detail"] as? [String: Any] {
            guard let b = (detail["bucket"] as? [String: Any])?["name"] as? String,
                  let k = (detail["object"] as? [String: Any])?["key"] as? String else { throw Unusable(reason: "eventbridge-event-without-object") }
            return [AnnouncedObject(bucket: b, key: k)]
        }
        if doc["detail-type"] != nil { return [] }   // another EventBridge event routed to the queue
        throw Unusable(reason: "not-an-object-notification")
    }

    /// S3 event notifications encode keys as HTML forms do: `+` for a space, `%XX` for the rest.
    static func formDecode(_ s: String) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
