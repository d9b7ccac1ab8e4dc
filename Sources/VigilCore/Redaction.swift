/// Removes secret values from text Vigil writes about raw records (dead-letter excerpts).
///
/// Why: a bad record can still hold a session token, a secret access key or a password, and nothing
/// Vigil emits may carry one. Values of the named JSON keys are replaced, also when the excerpt cuts
/// the value short. O(length × keys).
public enum Redaction {
    /// JSON keys (case-insensitive) whose string values are secrets.
    public static let secretKeys = ["secretaccesskey", "sessiontoken", "password", "secretstring", "secretbinary",
                                    "privatekey", "clientsecret", "accesstoken", "refreshtoken", "authorization",
                                    "x-amz-security-token", "bearer", "credentials", "newpassword", "oldpassword"]

    public static func secrets(in text: String) -> String {
        let lower = Array(text.lowercased().utf8)
        var bytes = Array(text.utf8)
        guard lower.count == bytes.count else { return text }   // case-mapping changed lengths: leave as is
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var changed = false
        while i < bytes.count {
            if bytes[i] == 34, let (valueStart, valueEnd) = secretValue(lower, bytes, keyAt: i) {
                out.append(contentsOf: bytes[i..<valueStart])
                out.append(contentsOf: Array("[REDACTED]".utf8))
                i = valueEnd
                changed = true
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        if !changed { return text }
        bytes = out
        return String(decoding: bytes, as: UTF8.self)
    }

    /// If a secret key's string starts at `at` (`"key"\s*:\s*"`), the range of its value's content.
    static func secretValue(_ lower: [UInt8], _ bytes: [UInt8], keyAt at: Int) -> (Int, Int)? {
        for key in secretKeys {
            let k = Array(key.utf8)
            let end = at + 1 + k.count
            guard end < lower.count, lower[end] == 34, lower[(at + 1)..<end].elementsEqual(k) else { continue }
            var j = end + 1
            while j < bytes.count, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
            guard j < bytes.count, bytes[j] == 58 else { return nil }
            j += 1
            while j < bytes.count, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
            guard j < bytes.count, bytes[j] == 34 else { return nil }
            let start = j + 1
            var m = start
            while m < bytes.count, bytes[m] != 34 { m += bytes[m] == 92 ? 2 : 1 }
            return (start, min(m, bytes.count))
        }
        return nil
    }
}
