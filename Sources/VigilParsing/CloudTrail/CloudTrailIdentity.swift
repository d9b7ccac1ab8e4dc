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
    /// SESSION); nil for any other ARN. A byte scan over the ARN's own storage: this runs for most
    /// events, so it allocates only the Strings it returns.
    static func foldAssumedRole(_ arn: String) -> (key: String, actor: String?, session: String?)? {
        if let r = arn.utf8.withContiguousStorageIfAvailable(foldAssumedRole) { return r }
        return Array(arn.utf8).withUnsafeBufferPointer(foldAssumedRole)
    }

    static func foldAssumedRole(_ b: UnsafeBufferPointer<UInt8>) -> (key: String, actor: String?, session: String?)? {
        guard let f = assumedRoleParts(UnsafeRawBufferPointer(b)) else { return nil }
        let session = f.session.map { String(decoding: $0, as: UTF8.self) }
        let key = CloudTrailFastBuild.roleKey(f, .uninterned).0
        return (key, session, session)
    }

    static let assumedRoleMarker: [UInt8] = Array(":assumed-role/".utf8)

    /// The parts of `arn:PART:sts::ACCT:assumed-role/ROLE[/SESSION]` as byte ranges of `b` (the
    /// head before the marker must have at least five `:`-separated fields: PART is the second,
    /// ACCT the last); nil for any other ARN.
    static func assumedRoleParts(_ b: UnsafeRawBufferPointer)
        -> (partition: UnsafeRawBufferPointer, account: UnsafeRawBufferPointer, role: UnsafeRawBufferPointer, session: UnsafeRawBufferPointer?)? {
        let marker = assumedRoleMarker
        let m = marker.count
        guard b.count > m, b[0] == 97, b[1] == 114, b[2] == 110, b[3] == 58 else { return nil }   // "arn:"
        var at = -1
        var i = 4
        while i + m <= b.count {
            if b[i] == 58 {
                var j = 1
                while j < m && b[i + j] == marker[j] { j += 1 }
                if j == m { at = i; break }
            }
            i += 1
        }
        guard at > 0 else { return nil }
        var colons = 0, firstColon = -1, secondColon = -1, lastColon = -1
        for k in 0..<at where b[k] == 58 {
            colons += 1
            if firstColon < 0 { firstColon = k } else if secondColon < 0 { secondColon = k }
            lastColon = k
        }
        guard colons >= 4 else { return nil }
        let roleStart = at + m
        var slash = -1
        for k in roleStart..<b.count where b[k] == 47 { slash = k; break }
        return (UnsafeRawBufferPointer(rebasing: b[(firstColon + 1)..<secondColon]),
                UnsafeRawBufferPointer(rebasing: b[(lastColon + 1)..<at]),
                UnsafeRawBufferPointer(rebasing: b[roleStart..<(slash < 0 ? b.count : slash)]),
                slash < 0 ? nil : UnsafeRawBufferPointer(rebasing: b[(slash + 1)...]))
    }

    /// `arn.split(separator: "/").last`: the last non-empty `/`-separated part, or nil when there
    /// is none.
    static func lastPathComponent(_ b: UnsafeRawBufferPointer) -> String? {
        var end = b.count
        while end > 0 && b[end - 1] == 47 { end -= 1 }
        guard end > 0 else { return nil }
        var start = end
        while start > 0 && b[start - 1] != 47 { start -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
    }
}
