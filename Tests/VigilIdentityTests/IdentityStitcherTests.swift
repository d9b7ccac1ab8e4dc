import Foundation
import Testing
import VigilCore
import VigilIdentity
import VigilParsing
import VigilTestSupport

/// Parses one CloudTrail record the way the engine does (minting calls keep their raw record).
func event(_ record: String) -> AccessEvent {
    let parser = FormatParser(format: .cloudtrail, detailActions: IdentityStitcher.mintingActions)
    let r = Array(record.utf8).withUnsafeBytes { parser.parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }
    guard case .event(let e) = r else { fatalError("record did not parse: \(record)") }
    return e
}

let account = "arn:aws:iam::123456789012"
let alice = TestSupport.userIdentity("alice", key: "AKIAALICE0000000001")

/// alice → build → deploy → admin (three AssumeRole records), then admin's StopLogging.
let chain = TestSupport.threeHopChainThenStopLogging()
func threeHops() -> [String] { Array(chain.dropLast()) }
let stopLogging = chain.last!

@Suite struct IdentityStitcherTests {
    @Test func aThreeHopRoleChain_namesTheFirstActorAndEachRoleOldestFirst() {
        var s = IdentityStitcher()
        for r in threeHops() {
            var e = event(r)
            _ = s.stitch(&e)
        }
        var last = event(stopLogging)
        _ = s.stitch(&last)
        #expect(last.actor == ActorChain(arn: "\(account):user/alice",
                                          chain: ["\(account):role/build", "\(account):role/deploy", "\(account):role/admin"]))
        #expect(s.counters.minted == 3)
        #expect(s.counters.stitched == 3)   // the second and third AssumeRole, and StopLogging
    }

    @Test func anIAMUserActsAsItself_withAnEmptyChain() {
        var s = IdentityStitcher()
        var e = event(TestSupport.cloudTrail(id: "u1", time: "2026-03-02T09:00:00Z", identity: alice, source: "s3", name: "ListBuckets", readOnly: true))
        _ = s.stitch(&e)
        #expect(e.resolvedActor == ActorChain(arn: "\(account):user/alice"))
        #expect(e.actor == nil)   // acting as itself is not stored on every event
    }

    @Test func aSessionWhoseMintingCallWasNeverSeen_hasNoActor_andItsOwnMintIsCounted() {
        var s = IdentityStitcher()
        var e = event(TestSupport.assumeRole(id: "x1", time: "2026-03-02T09:00:00Z",
                                             identity: TestSupport.sessionIdentity(role: "ops", session: "bob", key: "ASIAUNSEEN000000001"),
                                             role: "admin", session: "bob", newKey: "ASIANEXT00000000001"))
        #expect(s.stitch(&e) == nil)
        #expect(e.resolvedActor == nil)
        #expect(s.counters.unknownOrigin == 1)
        #expect(s.tracked.keys == 0)
    }

    @Test func aSourceIdentityNamesTheOrigin_whenTheMintingCallWasNeverSeen() {
        var s = IdentityStitcher()
        var e = event(TestSupport.cloudTrail(id: "si", time: "2026-03-02T09:00:00Z",
                                             identity: TestSupport.sessionIdentity(role: "ops", session: "x", key: "ASIAOTHER0000000001", sourceIdentity: "carol@example.com"),
                                             source: "s3", name: "ListBuckets", readOnly: true))
        _ = s.stitch(&e)
        #expect(e.resolvedActor == ActorChain(arn: "source-identity:carol@example.com", chain: ["\(account):role/ops"]))
    }

    @Test func samlFederation_startsTheChainAtProviderAndSubject() {
        var s = IdentityStitcher()
        let request = "{\"roleArn\":\"\(account):role/okta-admin\",\"principalArn\":\"\(account):saml-provider/Okta\",\"durationSeconds\":3600}"
        let response = "{\"credentials\":{\"accessKeyId\":\"ASIASAML00000000001\",\"sessionToken\":\"IQoJSECRETSAML\",\"expiration\":\"Mar 2, 2026, 10:00:00 AM\"},\"subject\":\"dana@example.com\",\"subjectType\":\"persistent\",\"issuer\":\"http://www.okta.com/exk1\"}"
        var call = event(TestSupport.cloudTrail(id: "saml", time: "2026-03-02T09:00:00Z",
                                                identity: "{\"type\":\"SAMLUser\",\"principalId\":\"x:dana@example.com\",\"userName\":\"dana@example.com\",\"identityProvider\":\"x\"}",
                                                source: "sts", name: "AssumeRoleWithSAML", request: request, response: response))
        _ = s.stitch(&call)
        #expect(call.actor?.arn == "\(account):saml-provider/Okta/dana@example.com")
        var later = event(TestSupport.cloudTrail(id: "l1", time: "2026-03-02T09:30:00Z",
                                                 identity: TestSupport.sessionIdentity(role: "okta-admin", session: "dana@example.com", key: "ASIASAML00000000001"),
                                                 source: "iam", name: "CreateAccessKey", request: "{\"userName\":\"svc\"}"))
        _ = s.stitch(&later)
        #expect(later.actor == ActorChain(arn: "\(account):saml-provider/Okta/dana@example.com", chain: ["\(account):role/okta-admin"]))
    }

    @Test func aKeyPastItsLifetimeAndGrace_isNoLongerStitched() {
        var s = IdentityStitcher()
        var mint = event(TestSupport.assumeRole(id: "m", time: "2026-03-02T09:00:00Z", identity: alice, role: "build", session: "alice",
                                                newKey: "ASIABUILD0000000001", duration: 900))
        _ = s.stitch(&mint)
        let identity = TestSupport.sessionIdentity(role: "build", session: "alice", key: "ASIABUILD0000000001")
        var within = event(TestSupport.cloudTrail(id: "w", time: "2026-03-02T09:25:00Z", identity: identity, source: "s3", name: "ListBuckets", readOnly: true))
        _ = s.stitch(&within)
        #expect(within.actor?.arn == "\(account):user/alice")   // 15 min lifetime + 15 min grace
        var after = event(TestSupport.cloudTrail(id: "x", time: "2026-03-02T09:31:00Z", identity: identity, source: "s3", name: "ListBuckets", readOnly: true))
        _ = s.stitch(&after)
        #expect(after.actor == nil)
    }

    @Test func anEstablishedActorReachingANewRole_isAReach_andAKnownRoleIsNot() {
        var s = IdentityStitcher()
        // Three days of alice assuming role/build each morning: established.
        for (i, day) in ["2026-03-02", "2026-03-03", "2026-03-04"].enumerated() {
            var e = event(TestSupport.assumeRole(id: "b\(i)", time: "\(day)T09:00:00Z", identity: alice, role: "build", session: "alice-\(i)",
                                                 newKey: "ASIABUILD000000000\(i)"))
            #expect(s.stitch(&e) == nil)
        }
        var usual = event(TestSupport.assumeRole(id: "b9", time: "2026-03-05T09:00:00Z", identity: alice, role: "build", session: "a-new-session-name",
                                                 newKey: "ASIABUILD0000000009"))
        #expect(s.stitch(&usual) == nil)   // a new session name does not make an old actor new
        var odd = event(TestSupport.assumeRole(id: "n1", time: "2026-03-05T09:05:00Z", identity: alice, role: "org-admin", session: "alice",
                                               newKey: "ASIAORGADMIN0000001"))
        let reach = s.stitch(&odd)
        #expect(reach?.role == "\(account):role/org-admin")
        #expect(reach?.usualRoles == ["\(account):role/build"])
        let f = reach.map { $0.finding(for: odd, score: 0.5) }
        #expect(f?.rule == "actor-new-role")
        #expect(f?.actor?.arn == "\(account):user/alice")
        #expect(f?.reasons.first?.text.contains("org-admin") == true)
    }

    @Test func aNewActor_isNotAReach_onItsFirstDay() {
        var s = IdentityStitcher()
        for (i, role) in ["build", "deploy", "admin", "org-admin"].enumerated() {
            var e = event(TestSupport.assumeRole(id: "f\(i)", time: "2026-03-02T09:0\(i):00Z", identity: alice, role: role, session: "alice",
                                                 newKey: "ASIAFIRST00000000\(i)0"))
            #expect(s.stitch(&e) == nil)
        }
    }

    @Test func theSessionTokenNeverReachesTheStitchersState() throws {
        var s = IdentityStitcher()
        for r in threeHops() {
            var e = event(r)
            _ = s.stitch(&e)
        }
        let state = try String(decoding: JSONEncoder().encode(s), as: UTF8.self)
        #expect(state.contains("ASIAADMIN0000000001"))   // the key id is what stitching follows
        #expect(!state.contains("SECRET"))
        #expect(!state.contains("IQoJ"))
        let back = try JSONDecoder().decode(IdentityStitcher.self, from: Data(state.utf8))
        var last = event(stopLogging)
        var restored = back
        _ = restored.stitch(&last)
        #expect(last.actor?.chain.count == 3)   // the snapshot restores the chain
    }

    @Test func cloudTrailsExpirationText_isReadAsUTC() {
        var s = IdentityStitcher()
        // No durationSeconds: the written expiration (an hour later) bounds the key.
        let response = "{\"credentials\":{\"accessKeyId\":\"ASIAEXP000000000001\",\"sessionToken\":\"t\",\"expiration\":\"Mar 2, 2026, 10:00:00 AM\"}}"
        var m = event(TestSupport.cloudTrail(id: "e", time: "2026-03-02T09:00:00Z", identity: alice, source: "sts", name: "AssumeRole",
                                             request: "{\"roleArn\":\"\(account):role/build\",\"roleSessionName\":\"a\"}", response: response))
        _ = s.stitch(&m)
        let identity = TestSupport.sessionIdentity(role: "build", session: "a", key: "ASIAEXP000000000001")
        var ok = event(TestSupport.cloudTrail(id: "o", time: "2026-03-02T10:14:00Z", identity: identity, source: "s3", name: "ListBuckets", readOnly: true))
        _ = s.stitch(&ok)
        #expect(ok.actor != nil)
        var late = event(TestSupport.cloudTrail(id: "l", time: "2026-03-02T10:16:00Z", identity: identity, source: "s3", name: "ListBuckets", readOnly: true))
        _ = s.stitch(&late)
        #expect(late.actor == nil)
    }

    @Test func expiredKeys_arePrunedInEventTime_andCounted() {
        var s = IdentityStitcher()
        var mint = event(TestSupport.assumeRole(id: "m", time: "2026-03-02T09:00:00Z", identity: alice, role: "build", session: "alice",
                                                newKey: "ASIABUILD0000000001", duration: 900))
        _ = s.stitch(&mint)
        #expect(s.tracked.keys == 1)
        var later = event(TestSupport.cloudTrail(id: "l", time: "2026-03-02T11:00:00Z", identity: alice, source: "s3", name: "ListBuckets", readOnly: true))
        for _ in 0..<65_536 { _ = s.stitch(&later) }   // pruning runs every 65,536 events
        #expect(s.tracked.keys == 0)
        #expect(s.tracked.actors == 1)   // alice's role history outlives her keys (30 days)
        #expect(s.counters.pruned == 1)
    }
}
