/// ATT&CK tactics of the techniques Vigil's rules and SigmaHQ's cloud rules name, for the report's
/// "alerts by tactic" summary.
///
/// Provenance: MITRE ATT&CK Enterprise (v17, 2025), the "Tactics" field of each technique's page
/// (attack.mitre.org/techniques/Txxxx); a sub-technique has its parent's tactics. Written down on
/// 2026-12-03 for the techniques in Models/rules.json and ../shared/sigma; a technique not listed
/// here is shown under "unmapped" rather than guessed.
public enum AttackTactics {
    /// Tactic display order: ATT&CK's kill-chain order.
    public static let order = ["reconnaissance", "resource-development", "initial-access", "execution", "persistence",
                               "privilege-escalation", "defense-evasion", "credential-access", "discovery",
                               "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"]

    static let byTechnique: [String: [String]] = [
        "T1003": ["credential-access"], "T1005": ["collection"], "T1020": ["exfiltration"], "T1021": ["lateral-movement"],
        "T1040": ["credential-access", "discovery"], "T1053": ["execution", "persistence", "privilege-escalation"],
        "T1059": ["execution"], "T1070": ["defense-evasion"], "T1074": ["collection"],
        "T1078": ["defense-evasion", "persistence", "privilege-escalation", "initial-access"], "T1087": ["discovery"],
        "T1090": ["command-and-control"], "T1098": ["persistence", "privilege-escalation"], "T1110": ["credential-access"],
        "T1114": ["collection"], "T1136": ["persistence"], "T1140": ["defense-evasion"], "T1190": ["initial-access"],
        "T1484": ["defense-evasion", "privilege-escalation"], "T1485": ["impact"], "T1486": ["impact"], "T1489": ["impact"],
        "T1490": ["impact"], "T1496": ["impact"], "T1525": ["persistence"], "T1526": ["discovery"],
        "T1528": ["credential-access"], "T1530": ["collection"], "T1531": ["impact"], "T1537": ["exfiltration"],
        "T1548": ["privilege-escalation", "defense-evasion"], "T1550": ["defense-evasion", "lateral-movement"],
        "T1552": ["credential-access"], "T1555": ["credential-access"],
        "T1556": ["credential-access", "defense-evasion", "persistence"], "T1562": ["defense-evasion"], "T1565": ["impact"],
        "T1566": ["initial-access"], "T1578": ["defense-evasion"], "T1580": ["discovery"], "T1584": ["resource-development"],
        "T1589": ["reconnaissance"], "T1606": ["credential-access"], "T1608": ["resource-development"], "T1619": ["discovery"],
        "T1621": ["credential-access"], "T1648": ["execution"], "T1651": ["execution"], "T1666": ["defense-evasion"],
    ]

    /// The tactics of a technique id (`T1562.008` → defense-evasion); empty when not listed.
    public static func tactics(of technique: String) -> [String] {
        let base = technique.split(separator: ".").first.map(String.init) ?? technique
        return byTechnique[base.uppercased()] ?? []
    }

    /// ATT&CK's page for a technique id: `T1562.008` → https://attack.mitre.org/techniques/T1562/008/.
    /// Nil for anything that is not a technique id (the link is built only from checked characters).
    public static func url(of technique: String) -> String? {
        let parts = technique.uppercased().split(separator: ".")
        guard let base = parts.first, base.count == 5, base.first == "T", base.dropFirst().allSatisfy(\.isNumber), parts.count <= 2,
              parts.count == 1 || (parts[1].count == 3 && parts[1].allSatisfy(\.isNumber)) else { return nil }
        return "https://attack.mitre.org/techniques/" + parts.joined(separator: "/") + "/"
    }
}
