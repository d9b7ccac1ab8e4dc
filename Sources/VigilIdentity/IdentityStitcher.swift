import VigilCore

/// Follows temporary credentials to the identity that minted them, and remembers which roles each
/// originating actor reaches.
///
/// How: every successful `AssumeRole`, `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`,
/// `GetFederationToken` and `GetSessionToken` names the key it minted
/// (`responseElements.credentials.accessKeyId`). The caller's own actor (found the same way, or the
/// IAM user or root it is) plus the hop (the role assumed, or the federated user) becomes the new
/// key's actor. A later event whose `userIdentity.accessKeyId` is that key gets it, so a chain of
/// any depth resolves to its first identity however many sessions (and session names) lie between.
/// SAML and web identity start a chain at `provider/subject`; a session known only by its
/// `sourceIdentity` starts one at `source-identity:<name>`.
///
/// Why the role history: baselines are kept per role, which a new session name cannot fool; the
/// actor behind the sessions has its own history of roles reached, and an established actor
/// reaching a role it never used is a lateral-movement signal (``RoleReach``).
///
/// Bounded, event time only: a key lives until its credentials expire (`durationSeconds`, else the
/// written expiration, else the call's default lifetime) plus ``grace``; an actor's history lives
/// ``actorMemory`` past its last assumption, at most ``rolesPerActor`` roles each; caps on both
/// drop the oldest first. Cost per event: one dictionary lookup when keys are tracked, a prefix
/// check of the action; the raw record is read only for the minting calls.
public struct IdentityStitcher: Codable, Sendable {
    struct Issued: Codable, Sendable {
        var actor: ActorChain
        var expires: Int64
    }

    struct History: Codable, Sendable {
        var first: Int64
        var last: Int64
        var assumptions: Int
        /// Role ARN → last time the actor assumed it.
        var roles: [String: Int64]
    }

    /// Counts for `--stats`.
    public struct Counters: Codable, Sendable, Equatable {
        /// Events whose actor came from a minted key.
        public var stitched = 0
        /// Minting calls whose new key was recorded.
        public var minted = 0
        /// Minting calls whose caller's origin was unknown (nothing recorded).
        public var unknownOrigin = 0
        /// Keys and actor histories dropped by expiry or the caps.
        public var pruned = 0
    }

    /// By access key ID and by actor ARN, without SipHash (``KeyedTable``): the key table is read
    /// on every CloudTrail event with an access key.
    var keys = KeyedTable<Issued>()
    var actors = KeyedTable<History>()
    var newest: Int64 = Int64.min
    var sincePrune = 0
    public private(set) var counters = Counters()

    /// The calls that mint temporary credentials. Their raw records must be kept by the parser.
    public static let mintingActions: Set<String> = [
        "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken", "sts:GetSessionToken",
    ]
    /// A key is still honoured this long after its expiry (CloudTrail delivers late and clocks skew).
    public static let grace: Int64 = 15 * EventTime.minute
    public static let actorMemory: Int64 = 30 * EventTime.day
    public static let rolesPerActor = 64
    public static let keyCap = 500_000
    public static let actorCap = 100_000
    /// Longer chains keep their newest hops (AWS itself limits a chained session to one hour).
    public static let maxChain = 10
    /// An actor counts as established after a day and this many assumptions.
    public static let establishedAssumptions = 3

    public init() {}

    /// Tracked keys and actor histories, for `--stats`.
    public var tracked: (keys: Int, actors: Int) { (keys.count, actors.count) }

    /// Stamps `e.actor` (CloudTrail events only) and records what a minting call minted. Returns a
    /// ``RoleReach`` when an established actor assumes a role it has never assumed before.
    public mutating func stitch(_ e: inout AccessEvent) -> RoleReach? {
        let r = stitch(e)
        if let actor = r.actor { e.actor = actor }
        return r.reach
    }

    /// What stitching found for one event: the actor its credentials trace back to (nil when it acts
    /// as itself or its origin is unknown) and a role reach.
    public struct Stitch: Sendable {
        public var actor: ActorChain?
        public var reach: RoleReach?
    }

    /// The same without touching the event, so the engine copies an event only
    /// when there is an actor to stamp on it (most events have none).
    public mutating func stitch(_ e: AccessEvent) -> Stitch {
        guard e.source == .cloudtrail else { return Stitch() }
        if e.time > newest { newest = e.time }
        var out = Stitch()
        if !keys.isEmpty, let k = e.accessKeyID, let i = keys[k], e.time <= i.expires + Self.grace {
            out.actor = i.actor
            counters.stitched += 1
        }
        // An event that acts as itself (an IAM user, a session with a source identity) keeps `actor`
        // nil here: `AccessEvent.resolvedActor` names it when an alert or a minting call needs it.
        if let raw = e.raw, e.outcome == .success, e.action.utf8.starts(with: Self.stsPrefix), Self.mintingActions.contains(e.action),
           let m = MintedCredentials.read(raw) {
            out.reach = mint(e, m, actor: &out.actor)
        }
        sincePrune += 1
        if sincePrune >= 65_536 || keys.count > Self.keyCap || actors.count > Self.actorCap { prune() }
        return out
    }

    static let stsPrefix = Array("sts:".utf8)

    /// Records the key a minting call minted; `actor` is the call's own stitched actor (set to the
    /// federated user for SAML and web identity, who is who acts in that very call).
    mutating func mint(_ e: AccessEvent, _ m: MintedCredentials, actor: inout ActorChain?) -> RoleReach? {
        let op = e.operation
        var origin: ActorChain?
        if op == "AssumeRoleWithSAML" || op == "AssumeRoleWithWebIdentity" {
            let provider = (op == "AssumeRoleWithSAML" ? m.samlProvider ?? m.provider : m.provider) ?? "unknown-provider"
            if let subject = m.subject ?? e.actorName {
                origin = ActorChain(arn: provider + "/" + subject)
                actor = origin
            }
        } else {
            origin = actor ?? e.ownActor
        }
        if origin == nil, let sid = m.sourceIdentity { origin = ActorChain(arn: "source-identity:" + sid) }
        guard let origin else {
            counters.unknownOrigin += 1
            return nil
        }
        let hop: String? = op == "GetFederationToken" ? m.federatedArn : (op == "GetSessionToken" ? nil : m.roleArn)
        var minted = origin
        if let hop { minted.chain = Array((origin.chain + [hop]).suffix(Self.maxChain)) }
        if let key = m.accessKeyID {
            let fallback = op == "GetSessionToken" || op == "GetFederationToken" ? 12 * EventTime.hour : EventTime.hour
            keys[key] = Issued(actor: minted, expires: m.expires(issuedAt: e.time, fallback: fallback))
            counters.minted += 1
        }
        guard let role = hop, op.hasPrefix("AssumeRole") else { return nil }
        return reached(role, by: origin, at: e.time)
    }

    /// Notes that `origin` assumed `role`; a reach when the actor is established and the role new.
    mutating func reached(_ role: String, by origin: ActorChain, at t: Int64) -> RoleReach? {
        var h = actors[origin.arn] ?? History(first: t, last: t, assumptions: 0, roles: [:])
        let established = t - h.first >= EventTime.day && h.assumptions >= Self.establishedAssumptions
        let known = h.roles
        h.assumptions += 1
        h.first = min(h.first, t)
        h.last = max(h.last, t)
        h.roles[role] = max(h.roles[role] ?? t, t)
        if h.roles.count > Self.rolesPerActor, let oldest = h.roles.min(by: { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }) {
            h.roles[oldest.key] = nil
        }
        actors[origin.arn] = h
        guard established, known[role] == nil else { return nil }
        let usual = known.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        return RoleReach(actor: origin, role: role, usualRoles: Array(usual.prefix(3)), knownRoles: known.count,
                         assumptions: h.assumptions - 1, since: h.first)
    }

    /// Drops expired keys and forgotten actors, then the oldest beyond the caps. O(n log n) at worst;
    /// runs every 65,536 events or when a cap is passed.
    mutating func prune() {
        sincePrune = 0
        let before = keys.count + actors.count
        keys = keys.filter { $1.expires + Self.grace >= newest }
        actors = actors.filter { $1.last >= newest - Self.actorMemory }
        if keys.count > Self.keyCap {
            let cut = keys.values.map(\.expires).sorted()[keys.count - Self.keyCap * 3 / 4 - 1]
            keys = keys.filter { $1.expires > cut }
        }
        if actors.count > Self.actorCap {
            let cut = actors.values.map(\.last).sorted()[actors.count - Self.actorCap * 3 / 4 - 1]
            actors = actors.filter { $1.last > cut }
        }
        counters.pruned += before - keys.count - actors.count
    }
}

/// An established actor assuming a role it never assumed before (within ``IdentityStitcher/actorMemory``).
public struct RoleReach: Sendable, Equatable, Codable {
    /// The originating actor (its chain as it was before this hop).
    public var actor: ActorChain
    public var role: String
    /// Up to three roles it assumed most recently.
    public var usualRoles: [String]
    public var knownRoles: Int
    /// Assumptions seen before this one.
    public var assumptions: Int
    /// Its first assumption seen.
    public var since: Int64

    /// The alert: built-in rule `actor-new-role` (medium, T1078.004), principal the caller.
    public func finding(for e: AccessEvent, score: Double) -> Finding {
        func short(_ arn: String) -> String { arn.split(separator: ":").last.map(String.init) ?? arn }
        let usual = usualRoles.map(short).joined(separator: ", ")
        let text = "\(actor.arn) assumed \(short(role)), a role it had not assumed before; since \(EventTime.format(since)) it assumed \(knownRoles) other role\(knownRoles == 1 ? "" : "s") (\(usual)) in \(assumptions) assumption\(assumptions == 1 ? "" : "s")"
        var f = Finding(kind: .rule, rule: "actor-new-role", principal: e.principal, source: e.source, time: e.time,
                        score: score, severity: .medium, attack: ["T1078.004"],
                        title: "Actor reached a role it never used: \(short(role))",
                        reasons: [Reason(feature: "rule:actor-new-role", value: 1, baseline: Double(knownRoles), text: text)],
                        events: [e.id], eventsTotal: 1)
        f.actor = e.resolvedActor
        return f
    }
}
