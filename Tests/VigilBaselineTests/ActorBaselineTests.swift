import Testing
import VigilCore
@testable import VigilBaseline

/// Baselines per originating actor: a role is shared by many people; the person behind a session
/// (its stitched `actor`) carries their own networks, clients and regions into it and back.
@Suite struct ActorBaselineTests {
    let alice = "arn:aws:iam::123456789012:user/alice"
    let role = "arn:aws:iam::123456789012:role/data-readonly"

    func session(_ t: Int64, ip: String, actor: String?) -> AccessEvent {
        var e = ev(t, principal: role, ip: ip)
        e.principalType = "AssumedRole"
        e.actor = actor.map { ActorChain(arn: $0, chain: [role]) }
        return e
    }

    @Test func aNetworkTheActorUses_isNotNewToTheRoleSessionsItOpens() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<20).map { ev(t0 + Int64($0) * EventTime.minute, principal: alice, ip: "203.0.113.9") })   // alice at home
        feed(&b, (0..<20).map { session(t0 + Int64(30 + $0) * EventTime.minute, ip: "198.51.100.7", actor: "arn:aws:iam::123456789012:user/bob") })
        let hers = b.observe(session(t0 + 60 * EventTime.minute, ip: "203.0.113.40", actor: alice)).0
        #expect(hers[.newNetwork] == 0)   // the role never saw it, alice always does
        let stranger = b.observe(session(t0 + 61 * EventTime.minute, ip: "185.220.101.4", actor: alice)).0
        #expect(stranger[.newNetwork] == 1)   // new to both: still new
        let unknown = b.observe(session(t0 + 62 * EventTime.minute, ip: "203.0.113.41", actor: nil)).0
        #expect(unknown[.newNetwork] == 1)   // without stitching, nobody vouches
    }

    @Test func whatTheActorDoesThroughARole_isLearnedByTheActor() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<5).map { ev(t0 + Int64($0) * EventTime.minute, principal: alice, ip: "198.51.100.7") })
        feed(&b, (0..<5).map { session(t0 + Int64(10 + $0) * EventTime.minute, ip: "192.0.2.10", actor: alice) })
        let asHerself = b.observe(ev(t0 + 20 * EventTime.minute, principal: alice, ip: "192.0.2.77")).0
        #expect(asHerself[.newNetwork] == 0)
    }

    @Test func heldSessionEvents_teachTheActorNothing() {
        var b = Baseline(config: BaselineConfig())
        feed(&b, (0..<5).map { ev(t0 + Int64($0) * EventTime.minute, principal: alice, ip: "198.51.100.7") })
        feed(&b, [session(t0 + 10 * EventTime.minute, ip: "185.220.101.4", actor: alice)], held: true)
        let asHerself = b.observe(ev(t0 + 20 * EventTime.minute, principal: alice, ip: "185.220.101.9")).0
        #expect(asHerself[.newNetwork] == 1)   // an anomalous session cannot launder the attacker's network
    }
}
