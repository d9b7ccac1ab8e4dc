import VigilCore

/// What one credential-minting call (`AssumeRole` and its kin) says, read from the raw record.
///
/// Only the fields stitching needs are decoded; the session token in `responseElements.credentials`
/// is skipped unread, so it cannot reach any state, evidence or output.
struct MintedCredentials: Equatable {
    /// The new temporary access key id (`responseElements.credentials.accessKeyId`).
    var accessKeyID: String?
    /// `requestParameters.roleArn`: the role assumed.
    var roleArn: String?
    /// `responseElements.federatedUser.arn` (GetFederationToken).
    var federatedArn: String?
    /// `requestParameters.principalArn` (the SAML provider of AssumeRoleWithSAML).
    var samlProvider: String?
    /// `responseElements.subject` (SAML) or `subjectFromWebIdentityToken` (web identity).
    var subject: String?
    /// `responseElements.provider` (web identity), or the caller's `identityProvider`.
    var provider: String?
    /// `requestParameters.sourceIdentity`, carried by the session for its lifetime.
    var sourceIdentity: String?
    /// `requestParameters.durationSeconds`.
    var durationSeconds: Int64?
    /// `responseElements.credentials.expiration` as CloudTrail writes it (`Dec 12, 2024, 4:19:32 PM`).
    var expiration: String?

    /// Reads a CloudTrail record; nil when it is not a JSON object.
    static func read(_ raw: [UInt8]) -> MintedCredentials? {
        var m = MintedCredentials()
        let ok = raw.withUnsafeBytes { buf -> Bool in
            var s = JSONScanner(buf)
            s.skipWS()
            return s.object { s, k in
                if s.keyIs(k, "requestParameters"), s.peek() == 123 {
                    return s.object { s, k in
                        if s.keyIs(k, "roleArn") { return text(&s, &m.roleArn) }
                        if s.keyIs(k, "principalArn") { return text(&s, &m.samlProvider) }
                        if s.keyIs(k, "sourceIdentity") { return text(&s, &m.sourceIdentity) }
                        if s.keyIs(k, "durationSeconds") { m.durationSeconds = s.int64(); return true }
                        return s.skipValue()
                    }
                }
                if s.keyIs(k, "responseElements"), s.peek() == 123 {
                    return s.object { s, k in
                        if s.keyIs(k, "credentials"), s.peek() == 123 {
                            return s.object { s, k in
                                if s.keyIs(k, "accessKeyId") { return text(&s, &m.accessKeyID) }
                                if s.keyIs(k, "expiration") { return text(&s, &m.expiration) }
                                return s.skipValue()   // sessionToken: never decoded
                            }
                        }
                        if s.keyIs(k, "federatedUser"), s.peek() == 123 {
                            return s.object { s, k in
                                if s.keyIs(k, "arn") { return text(&s, &m.federatedArn) }
                                return s.skipValue()
                            }
                        }
                        if s.keyIs(k, "subject") || s.keyIs(k, "subjectFromWebIdentityToken") { return text(&s, &m.subject) }
                        if s.keyIs(k, "provider") { return text(&s, &m.provider) }
                        return s.skipValue()
                    }
                }
                if s.keyIs(k, "userIdentity"), s.peek() == 123 {
                    return s.object { s, k in
                        if s.keyIs(k, "identityProvider"), m.provider == nil { return text(&s, &m.provider) }
                        return s.skipValue()
                    }
                }
                return s.skipValue()
            }
        }
        return ok ? m : nil
    }

    static func text(_ s: inout JSONScanner, _ into: inout String?) -> Bool {
        guard let v = s.scalarText() else { return false }
        if let v, !v.isEmpty { into = v }
        return true
    }

    /// When the credentials stop working: `durationSeconds` after the call, else the written
    /// expiration, else the call's default lifetime (`fallback`). Never before the call itself.
    func expires(issuedAt t: Int64, fallback: Int64) -> Int64 {
        if let d = durationSeconds, d > 0 { return t + min(d, 36 * 3600) * EventTime.second }
        if let x = expiration, let e = Self.parseExpiration(x), e > t { return min(e, t + 36 * EventTime.hour) }
        return t + fallback
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// `Dec 12, 2024, 4:19:32 PM` (CloudTrail's rendering, UTC) or RFC 3339; nil otherwise.
    static func parseExpiration(_ s: String) -> Int64? {
        if let t = EventTime.parse(s) { return t }
        let words = s.lowercased().split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        guard words.count >= 4, let month = months.firstIndex(of: String(words[0].prefix(3))),
              let day = Int(words[1]), let year = Int(words[2]) else { return nil }
        let hms = words[3].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        var hour = hms[0] % 12
        if words.count >= 5, words[4] == "pm" { hour += 12 } else if words.count < 5 { hour = hms[0] }
        func pad(_ v: Int, _ w: Int) -> String { let t = String(v); return String(repeating: "0", count: max(0, w - t.count)) + t }
        return EventTime.parse("\(pad(year, 4))-\(pad(month + 1, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(hms[1], 2)):\(pad(hms[2], 2))Z")
    }
}
