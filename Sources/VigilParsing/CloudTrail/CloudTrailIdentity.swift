import VigilCore

/// `userIdentity` of a CloudTrail record, and how it folds into one canonical principal key.
///
/// Why fold: an assumed role produces a new session (and session ARN) for every assumption; the
/// behaviour worth baselining is the role's, so sessions fold to `arn:aws:iam::ACCT:role/NAME` and the
/// session name is kept beside it.
struct CloudTrailIdentity {
    var type: String?
    var arn: String?
    var principalId: String?
    var accountId: String?
    var accessKeyId: String?
    var userName: String?
    var invokedBy: String?
    var issuerArn: String?
    var sourceIdentity: String?

    mutating func read(_ s: inout JSONScanner, _ k: Range<Int>) -> Bool {
        if s.keyIs(k, "type") { return str(&s, &type) }
        if s.keyIs(k, "arn") { return str(&s, &arn) }
        if s.keyIs(k, "principalId") { return str(&s, &principalId) }
        if s.keyIs(k, "accountId") { return str(&s, &accountId) }
        if s.keyIs(k, "accessKeyId") { return str(&s, &accessKeyId) }
        if s.keyIs(k, "userName") { return str(&s, &userName) }
        if s.keyIs(k, "invokedBy") { return str(&s, &invokedBy) }
        if s.keyIs(k, "sourceIdentity") { return str(&s, &sourceIdentity) }
        if s.keyIs(k, "sessionContext"), s.peek() == 123 {
            return s.object { s, k in
                if s.keyIs(k, "sourceIdentity") { return str(&s, &sourceIdentity) }
                if s.keyIs(k, "sessionIssuer"), s.peek() == 123 {
                    return s.object { s, k in
                        if s.keyIs(k, "arn") { return str(&s, &issuerArn) }
                        return s.skipValue()
                    }
                }
                return s.skipValue()
            }
        }
        return s.skipValue()
    }

    /// The canonical principal key, the acting name and the session name.
    func canonical() -> (key: String, actor: String?, session: String?) {
        let t = type ?? ""
        if let a = arn, let folded = Self.foldAssumedRole(a) { return folded }
        if t == "AssumedRole" {
            // An assumed-role identity whose ARN is not a session ARN: the issuing role is canonical.
            if let i = issuerArn, !i.isEmpty { return (i, nil, nil) }
            if let a = arn, !a.isEmpty { return (a, userName, nil) }
            if let p = principalId, !p.isEmpty { return ("AssumedRole:" + p, nil, nil) }
        }
        switch t {
        case "Root":
            if let a = arn, !a.isEmpty { return (a, "root", nil) }
            if let acct = accountId { return ("arn:aws:iam::\(acct):root", "root", nil) }
        case "IAMUser":
            if let a = arn, !a.isEmpty { return (a, userName ?? a.split(separator: "/").last.map(String.init), nil) }
            if let acct = accountId, let u = userName { return ("arn:aws:iam::\(acct):user/\(u)", u, nil) }
        case "AWSService":
            if let by = invokedBy, !by.isEmpty { return ("service:" + by, by, nil) }
        case "AWSAccount":
            if let acct = accountId ?? principalId, !acct.isEmpty { return ("account:" + acct, nil, nil) }
        default: break
        }
        if let a = arn, !a.isEmpty { return (a, userName, nil) }
        if let u = userName, !u.isEmpty { return ("\(t.isEmpty ? "user" : t):\(u)", u, nil) }
        if let p = principalId, !p.isEmpty { return ("\(t.isEmpty ? "principal" : t):\(p)", nil, nil) }
        if let by = invokedBy, !by.isEmpty { return ("service:" + by, by, nil) }
        return ("unknown:cloudtrail", nil, nil)
    }

    /// `arn:PART:sts::ACCT:assumed-role/ROLE[/SESSION]` → (`arn:PART:iam::ACCT:role/ROLE`, SESSION,
    /// SESSION); nil for any other ARN. A byte scan: this runs for most events.
    static func foldAssumedRole(_ arn: String) -> (key: String, actor: String?, session: String?)? {
        let marker: [UInt8] = Array(":assumed-role/".utf8)
        let b = Array(arn.utf8)
        guard b.count > marker.count, b.starts(with: Array("arn:".utf8)) else { return nil }
        var at = -1
        var i = 4
        while i + marker.count <= b.count {
            if b[i] == 58, b[i..<(i + marker.count)].elementsEqual(marker) { at = i; break }
            i += 1
        }
        guard at > 0 else { return nil }
        let head = b[0..<at].split(separator: 58, omittingEmptySubsequences: false)   // arn, PART, sts, "", ACCT
        guard head.count >= 5 else { return nil }
        let partition = String(decoding: head[1], as: UTF8.self)
        let account = String(decoding: head[head.count - 1], as: UTF8.self)
        let rest = b[(at + marker.count)...]
        let slash = rest.firstIndex(of: 47)
        let role = String(decoding: rest[rest.startIndex..<(slash ?? rest.endIndex)], as: UTF8.self)
        let session = slash.map { String(decoding: rest[($0 + 1)...], as: UTF8.self) }
        return ("arn:\(partition):iam::\(account):role/\(role)", session, session)
    }
}
