import Foundation
import Testing
import VigilCore
import VigilPipeline
import VigilSimulation
import VigilSources
import VigilTestSupport

/// The engine stitches each session to the identity its credentials trace back to, and every alert
/// names that actor (the Contract's `actor` key, right after `principal`).
@Suite struct IdentityStitchingTests {
    static let account = "arn:aws:iam::123456789012"
    /// alice → role/build → role/deploy → role/admin; the last session stops the trail.
    static let chainThenStopLogging = TestSupport.threeHopChainThenStopLogging()

    func run(_ lines: [String]) throws -> (alerts: [Alert], stats: RunStats) {
        let dir = TestSupport.tempDir()
        let path = write(Array(lines.joined(separator: "\n").utf8) + [10], "trail.jsonl", in: dir)
        let r = try runEngine([.file(path)])
        return (r.alerts, r.stats)
    }

    @Test func aThreeHopChainThatStopsLogging_namesTheFirstActorAndTheChainInOrder() throws {
        let (alerts, stats) = try run(Self.chainThenStopLogging)
        let stop = try #require(alerts.first { $0.finding.events.contains("stop-1") })
        let line = stop.jsonLine()
        let actor = "\"actor\":{\"arn\":\"\(Self.account):user/alice\",\"chain\":[\"\(Self.account):role/build\",\"\(Self.account):role/deploy\",\"\(Self.account):role/admin\"]}"
        #expect(line.contains(actor))
        // Right after principal, as the Contract orders the keys.
        let principal = try #require(line.range(of: "\"principal\":"))
        let after = line[principal.upperBound...]
        let comma = try #require(after.range(of: ",\"actor\":"))
        #expect(!after[..<comma.lowerBound].contains(","))   // nothing between the principal's value and actor
        #expect(stats.eventsStitched == 3)
    }

    @Test func noSessionTokenReachesAnyAlert() throws {
        let (alerts, _) = try run(Self.chainThenStopLogging)
        #expect(!alerts.isEmpty)
        for a in alerts {
            let line = a.jsonLine()
            #expect(!line.contains("SECRET") && !line.contains("IQoJ") && !line.contains("sessionToken"))
        }
    }

    @Test func anAlertOnAnUnstitchedSession_carriesNoActor() throws {
        let orphan = TestSupport.cloudTrail(id: "stop-2", time: "2026-03-02T09:03:00Z",
                                            identity: TestSupport.sessionIdentity(role: "admin", session: "x", key: "ASIANEVERMINTED0001"),
                                            source: "cloudtrail", name: "StopLogging", request: "{\"name\":\"management-trail\"}")
        let (alerts, _) = try run([orphan])
        let stop = try #require(alerts.first { $0.finding.events.contains("stop-2") })
        #expect(stop.finding.actor == nil)
        #expect(!stop.jsonLine().contains("\"actor\""))
    }

    @Test func theSimulatedRoleChainPivot_isTracedToTheVictimsKey() throws {
        let pivot = Set(SmallOrg.output.labelsCSV.split(separator: "\n").filter { $0.hasSuffix(",attack,role-chain-pivot") }
            .map { String($0.split(separator: ",")[0]) })
        try #require(!pivot.isEmpty, "the simulator writes a role-chain pivot")
        let (alerts, _, stats, _) = try runEngine([.file(SmallOrg.path)])
        let onRoles = alerts.filter { a in a.finding.events.contains(where: pivot.contains) && a.finding.principal.contains(":role/") }
        try #require(!onRoles.isEmpty)
        let origins = Set(onRoles.compactMap { $0.finding.actor?.arn })
        #expect(origins.count == 1 && origins.first?.contains(":user/") == true)   // one person behind both roles
        #expect(onRoles.allSatisfy { ($0.finding.actor?.chain.count ?? 0) >= 1 })
        #expect(alerts.contains { $0.finding.rule == "actor-new-role" && $0.finding.events.contains(where: pivot.contains) })
        #expect(stats.eventsStitched > 0)
        for a in alerts { #expect(!a.jsonLine().contains("IQoJ")) }   // the simulated session tokens
    }
}
