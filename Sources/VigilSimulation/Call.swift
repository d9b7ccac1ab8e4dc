import VigilCore

/// One API call to render as a CloudTrail record.
struct Call {
    var service: String
    var name: String
    var request = "null"
    var response = "null"
    var additional: String?
    var resources: String?
    var readOnly: Bool
    var error: String?
    var errorMessage: String?
    var data = false
    /// The VPC endpoint the call came through (then the source address is a private one).
    var vpcEndpoint: String?

    init(_ service: String, _ name: String, readOnly: Bool, request: String = "null") {
        self.service = service
        self.name = name
        self.readOnly = readOnly
        self.request = request
    }

    /// `{"k":"v",...}` from pairs; values are JSON-escaped strings.
    static func obj(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(JSONText.quoted($0.0)):\(JSONText.quoted($0.1))" }.joined(separator: ",") + "}"
    }

    func denied() -> Call {
        var c = self
        c.error = service == "ec2" ? "Client.UnauthorizedOperation" : "AccessDenied"
        c.errorMessage = "User is not authorized to perform: \(service):\(name)"
        c.response = "null"
        return c
    }
}

/// Renders calls as CloudTrail records (the fields and order CloudTrail uses).
enum RecordWriter {
    static func render(_ c: Call, actor: Actor, time: Int64, ip: String, userAgent: String, region: String,
                       eventID: String, requestID: String) -> String {
        let t = EventTime.format(time).replacingOccurrences(of: ".000Z", with: "Z")
        var o = "{\"eventVersion\":\"1.09\",\"userIdentity\":" + actor.identityJSON(time: t)
        o += ",\"eventTime\":\"\(t)\",\"eventSource\":\"\(c.service).amazonaws.com\",\"eventName\":\"\(c.name)\""
        o += ",\"awsRegion\":\"\(region)\",\"sourceIPAddress\":" + JSONText.quoted(ip)
        o += ",\"userAgent\":" + JSONText.quoted(userAgent)
        if let e = c.error {
            o += ",\"errorCode\":\"\(e)\",\"errorMessage\":" + JSONText.quoted(c.errorMessage ?? e)
        }
        o += ",\"requestParameters\":\(c.request),\"responseElements\":\(c.response)"
        if let a = c.additional { o += ",\"additionalEventData\":\(a)" }
        o += ",\"requestID\":\"\(requestID)\",\"eventID\":\"\(eventID)\",\"readOnly\":\(c.readOnly)"
        if let r = c.resources { o += ",\"resources\":\(r)" }
        o += ",\"eventType\":\"AwsApiCall\",\"managementEvent\":\(!c.data),\"recipientAccountId\":\"\(actor.account)\""
        if let v = c.vpcEndpoint { o += ",\"vpcEndpointId\":\"\(v)\",\"vpcEndpointAccountId\":\"\(actor.account)\"" }
        o += ",\"eventCategory\":\"\(c.data ? "Data" : "Management")\"}"
        return o
    }
}

import Foundation
