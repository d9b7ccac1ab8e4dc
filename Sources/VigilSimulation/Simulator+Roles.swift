import VigilCore

/// Role sessions: people assuming the roles they work through, and an attacker chaining roles.
///
/// Why: in real accounts most work happens in role sessions whose names change every time
/// (`botocore-session-…`, a user name, a CI run id), minted by `sts:AssumeRole` from a user's key or
/// another session. Vigil's identity stitching follows those keys to the person behind them; the
/// simulator has to write them the way CloudTrail does for that to be exercised (the AssumeRole
/// record's `responseElements.credentials`, session token included, then the session's own calls with
/// the minted `ASIA…` key). Generated after every other AWS stream, so the events before are the
/// same for a given seed whether or not role sessions exist.
extension Simulator {
    /// The roles people work through, by persona (each person uses one, so a new role is news).
    static let workRoles: [(persona: Actor.Persona, role: String, share: Int)] = [
        (.admin, "ops-admin", 1), (.developer, "dev-sandbox", 3), (.analyst, "data-readonly", 2),
    ]

    mutating func roleActivity() {
        var roleIDs: [String: String] = [:]
        func roleID(_ name: String, _ rng: inout SimRandom) -> String {
            if let id = roleIDs[name] { return id }
            let id = "AROA" + rng.upperAlnum(17)
            roleIDs[name] = id
            return id
        }
        var pivotVictim: (user: Actor, role: String)?
        for (persona, role, share) in Self.workRoles {
            let people = actors.filter { $0.persona == persona && !$0.dormant && $0.kind == .iamUser && $0.startDay == 0 }
            for (i, person) in people.enumerated() where i % share == 0 {
                let id = roleID(role, &rng)
                let earlyDays = workThroughRole(person, role: role, roleID: id, countBefore: 5)
                // The victim is someone with a habit to break: a few days of the same role first.
                if persona == .developer, pivotVictim == nil, i > 0, earlyDays >= 3 { pivotVictim = (person, role) }
            }
        }
        if let pivotVictim {
            roleChainPivot(victim: pivotVictim.user, opsID: roleID("ops-admin", &rng), auditID: roleID("org-security-audit", &rng),
                           at: day(min(5, config.days - 1)) + Int64(2.3 * Double(EventTime.hour)))
        }
    }

    /// On about half of their working days the person assumes `role` in the morning and works
    /// through it for an hour from the same network. Returns how many of those days come before `countBefore`.
    @discardableResult
    mutating func workThroughRole(_ person: Actor, role: String, roleID: String, countBefore: Int) -> Int {
        var early = 0
        for d in 0..<config.days where d % 7 < 5 && rng.chance(0.55) {
            if d < countBefore { early += 1 }
            let local = Double(rng.int(9 * 60...16 * 60)) / 60
            var t = day(d) + Int64((local - Double(person.utcOffset)) * Double(EventTime.hour))
            let ip = rng.pick(person.ips)
            let session = rng.chance(0.5) ? person.name : "botocore-session-\(t / 1000)"
            let s = assume(person, role: role, roleID: roleID, session: session, at: t, ip: ip)
            for _ in 0..<rng.int(4...18) {
                t += Int64(rng.exponential(mean: 90) * 1000) + 1000
                emit(s, workCall(person.persona), at: t, ip: ip)
            }
        }
        return early
    }

    /// Emits `caller`'s `sts:AssumeRole` of `role` and returns the new session as an actor whose
    /// access key is the one the call minted.
    mutating func assume(_ caller: Actor, role: String, roleID: String, session: String, at t: Int64, ip: String,
                         ua: String? = nil, label: String? = nil, scenario: String = "") -> Actor {
        let arn = "arn:aws:iam::\(org.account):role/\(role)"
        let key = "ASIA" + rng.upperAlnum(16)
        var c = Call("sts", "AssumeRole", readOnly: true,
                     request: "{\"roleArn\":\"\(arn)\",\"roleSessionName\":\"\(session)\",\"durationSeconds\":3600}")
        // The session token is what a thief would need; it is in the record, as CloudTrail writes it,
        // so that tests can check Vigil never repeats it.
        c.response = "{\"credentials\":{\"accessKeyId\":\"\(key)\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE\(rng.upperAlnum(40))\","
            + "\"expiration\":\"\(Self.cloudTrailDate(t + EventTime.hour))\"},\"assumedRoleUser\":{\"assumedRoleId\":\"\(roleID):\(session)\","
            + "\"arn\":\"arn:aws:sts::\(org.account):assumed-role/\(role)/\(session)\"}}"
        c.resources = "[{\"accountId\":\"\(org.account)\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"\(arn)\"}]"
        emit(caller, c, at: t, ip: ip, ua: ua, label: label, scenario: scenario)
        sessionRoles.insert(arn)
        var s = Actor(kind: .role, persona: caller.persona, name: role, session: session, principalId: roleID, accessKey: key,
                      account: org.account, ips: [ip], userAgent: ua ?? caller.userAgent)
        s.regions = caller.regions
        return s
    }

    /// CloudTrail's rendering of a credential expiry: `Nov 4, 2026, 10:00:00 AM` (UTC).
    static func cloudTrailDate(_ t: Int64) -> String {
        let iso = EventTime.format(t)   // 2026-11-04T10:00:00.000Z
        let parts = iso.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" || $0 == "." }).map(String.init)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let hour = Int(parts[3])!
        let h12 = hour % 12 == 0 ? 12 : hour % 12
        return "\(months[Int(parts[1])! - 1]) \(Int(parts[2])!), \(parts[0]), \(h12):\(parts[4]):\(parts[5]) \(hour < 12 ? "AM" : "PM")"
    }

    /// Role chaining after a key theft (the shape of Sysdig's SCARLETEEL 2.0 write-up, 2023, and Rhino
    /// Security Labs' AWS privilege-escalation research: a stolen key, `ListRoles`, then a chain of
    /// `AssumeRole` calls into more privileged roles): a developer's key, used at night from a VPS,
    /// assumes `ops-admin` (a role the developer never used), from there `org-security-audit`, and
    /// from that session turns off the trail's management events and reads a sensitive bucket.
    mutating func roleChainPivot(victim: Actor, opsID: String, auditID: String, at t0: Int64) {
        let scenario = "role-chain-pivot"
        let ip = attackerIP
        let ua = Self.attackerAgents[1]
        var t = attack(victim, [Call("sts", "GetCallerIdentity", readOnly: true), Call("iam", "ListRoles", readOnly: true)],
                       from: t0, gapMs: 3_000...15_000, ip: ip, ua: ua, scenario: scenario)
        t += Int64(rng.int(5_000...20_000))
        let ops = assume(victim, role: "ops-admin", roleID: opsID, session: "botocore-session-\(t / 1000)", at: t, ip: ip, ua: ua,
                         label: "attack", scenario: scenario)
        t = attack(ops, [Call("sts", "GetCallerIdentity", readOnly: true), Call("iam", "ListRoles", readOnly: true),
                         Call("iam", "GetRole", readOnly: true, request: Call.obj([("roleName", "org-security-audit")]))],
                   from: t, gapMs: 3_000...12_000, ip: ip, ua: ua, scenario: scenario)
        t += Int64(rng.int(5_000...20_000))
        let audit = assume(ops, role: "org-security-audit", roleID: auditID, session: "audit-\(rng.hex(6))", at: t, ip: ip, ua: ua,
                           label: "attack", scenario: scenario)
        let selectors = "{\"trailName\":\"org-trail\",\"eventSelectors\":[{\"readWriteType\":\"All\",\"includeManagementEvents\":false,\"dataResources\":[]}]}"
        var calls = [Call("cloudtrail", "DescribeTrails", readOnly: true),
                     Call("cloudtrail", "PutEventSelectors", readOnly: false, request: selectors),
                     Call("s3", "ListBuckets", readOnly: true, request: Call.obj([("Host", "s3.amazonaws.com")]))]
        let bucket = org.sensitiveBuckets[0]
        calls.append(catalog.listObjects(bucket: bucket))
        for i in 0..<25 {
            calls.append(catalog.s3Get(&rng, bucket: bucket, key: "finance/\(i)-\(rng.hex(6)).parquet", bytes: rng.int(2_000_000...20_000_000)))
        }
        _ = attack(audit, calls, from: t, gapMs: 2_000...9_000, ip: ip, ua: ua, scenario: scenario)
    }
}
