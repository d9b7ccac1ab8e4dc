import VigilCore

/// Record writers for the non-AWS streams: GCP audit LogEntries, Azure Activity / Entra sign-in /
/// Storage blob logs, and S3 server access log lines, in the shapes those services write.
enum CloudRecords {
    static func gcp(time: Int64, id: String, principal: String, ip: String, ua: String, service: String, method: String,
                    resource: String, dataAccess: Bool, denied: Bool = false, serviceData: String? = nil) -> String {
        let t = EventTime.format(time)
        var p = "{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\",\"status\":"
        p += denied ? "{\"code\":7,\"message\":\"PERMISSION_DENIED\"}" : "{}"
        p += ",\"authenticationInfo\":{\"principalEmail\":\(JSONText.quoted(principal))}"
        p += ",\"requestMetadata\":{\"callerIp\":\(JSONText.quoted(ip)),\"callerSuppliedUserAgent\":\(JSONText.quoted(ua))}"
        p += ",\"serviceName\":\"\(service)\",\"methodName\":\"\(method)\""
        p += ",\"authorizationInfo\":[{\"resource\":\(JSONText.quoted(resource)),\"granted\":\(!denied)}]"
        p += ",\"resourceName\":\(JSONText.quoted(resource))"
        if let sd = serviceData { p += ",\"serviceData\":\(sd)" }
        p += "}"
        let log = dataAccess ? "data_access" : "activity"
        return "{\"protoPayload\":\(p),\"insertId\":\"\(id)\",\"resource\":{\"type\":\"project\",\"labels\":{\"project_id\":\"acme-prod\",\"location\":\"us-central1\"}},\"timestamp\":\"\(t)\",\"severity\":\"NOTICE\",\"logName\":\"projects/acme-prod/logs/cloudaudit.googleapis.com%2F\(log)\",\"receiveTimestamp\":\"\(t)\"}"
    }

    static func azureActivity(time: Int64, correlation: String, upn: String, ip: String, operation: String, resource: String,
                              result: String = "Success") -> String {
        "{\"time\":\"\(EventTime.format(time))\",\"resourceId\":\(JSONText.quoted(resource)),\"operationName\":\"\(operation)\",\"category\":\"Administrative\",\"resultType\":\"\(result)\",\"resultSignature\":\"Succeeded.OK\",\"callerIpAddress\":\(JSONText.quoted(ip)),\"correlationId\":\"\(correlation)\",\"identity\":{\"claims\":{\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\":\(JSONText.quoted(upn)),\"ipaddr\":\(JSONText.quoted(ip))}},\"level\":\"Information\",\"location\":\"global\",\"tenantId\":\"8f2a1c3e-0000-4a6b-9c1d-acme00000001\"}"
    }

    static func entraSignIn(time: Int64, id: String, upn: String, name: String, ip: String, ua: String, app: String, error: Int) -> String {
        "{\"time\":\"\(EventTime.format(time))\",\"resourceId\":\"/tenants/8f2a1c3e-0000-4a6b-9c1d-acme00000001/providers/Microsoft.aadiam\",\"operationName\":\"Sign-in activity\",\"category\":\"SignInLogs\",\"tenantId\":\"8f2a1c3e-0000-4a6b-9c1d-acme00000001\",\"resultType\":\"\(error)\",\"callerIpAddress\":\(JSONText.quoted(ip)),\"correlationId\":\"\(id)\",\"identity\":\(JSONText.quoted(name)),\"Level\":4,\"location\":\"US\",\"properties\":{\"id\":\"\(id)\",\"userPrincipalName\":\(JSONText.quoted(upn)),\"appDisplayName\":\"\(app)\",\"ipAddress\":\(JSONText.quoted(ip)),\"userAgent\":\(JSONText.quoted(ua)),\"status\":{\"errorCode\":\(error)}}}"
    }

    static func azureBlob(time: Int64, correlation: String, operation: String, status: Int, ip: String, identity: String,
                          account: String, key: String, bytes: Int, ua: String) -> String {
        let category = operation.hasPrefix("Get") || operation.hasPrefix("List") ? "StorageRead" : (operation.hasPrefix("Delete") ? "StorageDelete" : "StorageWrite")
        return "{\"time\":\"\(EventTime.format(time))\",\"resourceId\":\"/subscriptions/5e1f0000-acme/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/\(account)/blobServices/default\",\"category\":\"\(category)\",\"operationName\":\"\(operation)\",\"statusCode\":\(status),\"statusText\":\"\(status < 300 ? "Success" : "AuthorizationFailure")\",\"callerIpAddress\":\"\(ip):\(40000 + bytes % 20000)\",\"correlationId\":\"\(correlation)\",\"identity\":\(identity),\"location\":\"eastus\",\"properties\":{\"accountName\":\"\(account)\",\"userAgentHeader\":\(JSONText.quoted(ua)),\"serviceType\":\"blob\",\"objectKey\":\"/\(account)/\(key)\",\"responseBodySize\":\(bytes)},\"uri\":\"https://\(account).blob.core.windows.net/\(key)\"}"
    }

    static func s3Access(time: Int64, requestID: String, bucket: String, ip: String, requester: String, op: String, key: String,
                         status: Int, bytes: Int, ua: String) -> String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let iso = EventTime.format(time)   // YYYY-MM-DDTHH:MM:SS.mmmZ
        let b = Array(iso)
        let month = months[Int(String(b[5...6]))! - 1]
        let stamp = "[\(String(b[8...9]))/\(month)/\(String(b[0...3])):\(String(b[11...18])) +0000]"
        let verb = op.split(separator: ".").dropFirst().first ?? "GET"
        return "8f3c0b6a1e2d4c5b9a7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b3a2910 \(bucket) \(stamp) \(ip) \(requester) \(requestID) \(op) \(key) \"\(verb) /\(bucket)/\(key) HTTP/1.1\" \(status) \(status == 403 ? "AccessDenied" : "-") \(bytes) \(bytes) 12 9 \"-\" \"\(ua)\" - hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader \(bucket).s3.us-east-1.amazonaws.com TLSv1.2 - -"
    }
}
