/// Who acts in the simulated organisation, and how their CloudTrail `userIdentity` looks.
struct Actor {
    enum Kind { case iamUser, role, root }
    enum Persona { case developer, analyst, admin, ciDeploy, lambdaExec, etl, monitoring, backup, attacker }

    var kind: Kind
    var persona: Persona
    var name: String            // user or role name
    var session: String = ""    // session name for roles
    var principalId: String
    var accessKey: String
    var account: String
    var ips: [String]           // usual source IPs
    var userAgent: String
    var utcOffset: Int = 0      // hours
    var console = false         // signs in through the console
    var regions: [String] = ["us-east-1"]
    var dormant = false
    var startDay = 0

    /// The `userIdentity` object as CloudTrail writes it.
    func identityJSON(time: String) -> String {
        switch kind {
        case .iamUser:
            return "{\"type\":\"IAMUser\",\"principalId\":\"\(principalId)\",\"arn\":\"arn:aws:iam::\(account):user/\(name)\",\"accountId\":\"\(account)\",\"accessKeyId\":\"\(accessKey)\",\"userName\":\"\(name)\"}"
        case .role:
            return "{\"type\":\"AssumedRole\",\"principalId\":\"\(principalId):\(session)\",\"arn\":\"arn:aws:sts::\(account):assumed-role/\(name)/\(session)\",\"accountId\":\"\(account)\",\"accessKeyId\":\"\(accessKey)\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"\(principalId)\",\"arn\":\"arn:aws:iam::\(account):role/\(name)\",\"accountId\":\"\(account)\",\"userName\":\"\(name)\"},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":\"\(time)\",\"mfaAuthenticated\":\"false\"}}}"
        case .root:
            return "{\"type\":\"Root\",\"principalId\":\"\(account)\",\"arn\":\"arn:aws:iam::\(account):root\",\"accountId\":\"\(account)\",\"accessKeyId\":\"\(accessKey)\"}"
        }
    }

    /// The canonical principal key Vigil will use (for labels and tests).
    var principalKey: String {
        switch kind {
        case .iamUser: return "arn:aws:iam::\(account):user/\(name)"
        case .role: return "arn:aws:iam::\(account):role/\(name)"
        case .root: return "arn:aws:iam::\(account):root"
        }
    }
}
