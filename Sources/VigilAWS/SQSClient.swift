import Foundation

/// One message received from a queue.
public struct SQSMessage: Sendable, Equatable {
    public var id: String
    public var receiptHandle: String
    public var body: String
    /// How many times SQS has handed this message out (1 on first delivery).
    public var receiveCount: Int
}

/// The SQS calls Vigil makes (`GetQueueUrl`, `ReceiveMessage`, `DeleteMessageBatch`), in the AWS
/// JSON protocol that current SDKs use (`X-Amz-Target: AmazonSQS.<Action>`, a JSON body).
public final class SQSClient: Sendable {
    public let queueURL: String
    public let client: AWSClient

    /// `queue` is a queue URL (`https://sqs.us-east-1.amazonaws.com/111122223333/trail-events`) or
    /// a name, looked up with `GetQueueUrl`. Calls go to `AWS_ENDPOINT_URL[_SQS]` when set, else to
    /// the queue URL's own host (its region read from it), else to the region's endpoint.
    public init(queue: String, chain: CredentialChain, credentials: CredentialProvider, transport: HTTPTransport) throws {
        let custom = chain.nonEmpty("AWS_ENDPOINT_URL_SQS") ?? chain.nonEmpty("AWS_ENDPOINT_URL")
        var region = chain.region() ?? "us-east-1"
        var endpoint = try chain.endpoint(service: "sqs", region: region)
        if queue.hasPrefix("https://") || queue.hasPrefix("http://") {
            let host = AWSEndpoint(queue)
            if custom == nil {
                endpoint = host.base
                let parts = host.host.split(separator: ".")
                if parts.count >= 4, parts[0] == "sqs" { region = String(parts[1]) }   // sqs.<region>.amazonaws.com
            }
        }
        client = AWSClient(service: "sqs", region: region, endpoint: endpoint, credentials: credentials, transport: transport)
        if queue.hasPrefix("https://") || queue.hasPrefix("http://") {
            queueURL = queue
        } else {
            let answer = try Self.call(client, "GetQueueUrl", ["QueueName": queue])
            guard let url = answer["QueueUrl"] as? String else { throw AWSError.badAnswer(operation: "GetQueueUrl \(queue)", reason: "no QueueUrl") }
            queueURL = url
        }
    }

    static func call(_ client: AWSClient, _ action: String, _ body: [String: Any]) throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let answer = try client.call("\(action)", method: "POST", path: "/",
                                     headers: [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "AmazonSQS.\(action)")],
                                     body: [UInt8](data))
        if answer.body.isEmpty { return [:] }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
            throw AWSError.badAnswer(operation: action, reason: "not a JSON object")
        }
        return obj
    }

    /// Up to `max` (1…10) messages, waiting up to `waitSeconds` (0…20: long polling) for the first,
    /// hidden from other receivers for `visibilitySeconds`.
    public func receive(max: Int = 10, waitSeconds: Int, visibilitySeconds: Int) throws -> [SQSMessage] {
        let answer = try Self.call(client, "ReceiveMessage", [
            "QueueUrl": queueURL, "MaxNumberOfMessages": min(10, Swift.max(1, max)), "WaitTimeSeconds": min(20, Swift.max(0, waitSeconds)),
            "VisibilityTimeout": visibilitySeconds, "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
            "AttributeNames": ["ApproximateReceiveCount"],
        ])
        let messages = answer["Messages"] as? [[String: Any]] ?? []
        return messages.compactMap { m in
            guard let id = m["MessageId"] as? String, let handle = m["ReceiptHandle"] as? String else { return nil }
            let attrs = m["Attributes"] as? [String: Any] ?? [:]
            return SQSMessage(id: id, receiptHandle: handle, body: m["Body"] as? String ?? "",
                              receiveCount: Int(attrs["ApproximateReceiveCount"] as? String ?? "") ?? 1)
        }
    }

    /// Deletes messages by receipt handle, ten per call; returns the IDs SQS refused to delete.
    @discardableResult
    public func delete(_ messages: [SQSMessage]) throws -> [String] {
        var failed: [String] = []
        var i = 0
        while i < messages.count {
            let chunk = messages[i..<min(messages.count, i + 10)]
            let entries = chunk.enumerated().map { ["Id": "m\($0.offset)", "ReceiptHandle": $0.element.receiptHandle] }
            let answer = try Self.call(client, "DeleteMessageBatch", ["QueueUrl": queueURL, "Entries": entries])
            for f in answer["Failed"] as? [[String: Any]] ?? [] {
                if let id = f["Id"] as? String, let k = Int(id.dropFirst()), k < chunk.count { failed.append(chunk[chunk.startIndex + k].id) }
            }
            i += 10
        }
        return failed
    }
}
