/// Who really acted: the identity a session's credentials trace back to, and the roles in between.
///
/// Why: an alert on `role/deploy` says which role was used, not who used it. Temporary credentials
/// are minted by `AssumeRole` (and its SAML, web-identity, federation and session-token kin); following
/// each minted access key back through the call that minted it gives the originating identity and the
/// chain of roles assumed on the way. Written in alerts as `actor` (the Contract's key after
/// `principal`); absent when the origin is unknown (a session whose minting call Vigil never saw).
public struct ActorChain: Sendable, Hashable, Codable {
    /// The originating identity: an IAM user or root ARN, `provider/subject` for SAML and web identity,
    /// or `source-identity:<name>` when only a session's source identity names it.
    public var arn: String
    /// Each assumed role's (or federated user's) ARN, oldest first; empty when the origin acted itself.
    public var chain: [String]

    public init(arn: String, chain: [String] = []) {
        self.arn = arn
        self.chain = chain
    }

    /// `{"arn":…,"chain":[…]}`, the form alerts and payloads carry.
    public func appendJSON(to o: inout String) {
        o += "{\"arn\":"
        JSONText.appendString(arn, to: &o)
        o += ",\"chain\":["
        for (i, c) in chain.enumerated() {
            if i > 0 { o += "," }
            JSONText.appendString(c, to: &o)
        }
        o += "]}"
    }

    /// Plain words for chat messages and reports: `alice → role/a → role/b`.
    public var text: String {
        ([arn] + chain).joined(separator: " → ")
    }
}

extension AccessEvent {
    /// The actor an event names by itself, without the call that minted its credentials: an IAM user
    /// or root acts as itself (empty chain); a session with a `sourceIdentity` was started by that
    /// identity. Nil otherwise. Computed when needed (alerts, minting calls) rather than stored on
    /// every event: most events are never alerted on.
    public var ownActor: ActorChain? {
        switch principalType {
        case "IAMUser", "Root":
            return principal.hasPrefix("arn:") ? ActorChain(arn: principal) : nil
        case "AssumedRole", "FederatedUser":
            if let s = sourceIdentity, !s.isEmpty { return ActorChain(arn: "source-identity:" + s, chain: [principal]) }
            return nil
        default:
            return nil
        }
    }

    /// Who is behind the event: the stitched actor, else the one it names by itself.
    public var resolvedActor: ActorChain? { actor ?? ownActor }
}
