import Foundation
import Testing
import VigilCore
import VigilIdentity
import VigilNATS
import VigilParsing
import VigilTestSupport
@testable import VigilCluster

/// What the router's parser does: every record keeps its bytes, minting calls included.
let routerParser = FormatParser(format: nil, detailActions: IdentityStitcher.mintingActions, keepAllRaw: true)

func routed(_ record: String, input: String = "logs/2026/03/02/trail.json.gz", offset: Int64 = 4096, line: Int64 = 17) -> AccessEvent {
    let r = Array(record.utf8).withUnsafeBytes { routerParser.parse($0, position: SourcePosition(input: input, offset: offset, line: line)) }
    guard case .event(let e) = r else { fatalError("record did not parse: \(record)") }
    return e
}

/// The message the router would publish for `e`.
func message(_ e: AccessEvent, reach: RoleReach? = nil, headers: NATSHeaders? = nil) -> NATSMessage {
    // Through the header block's wire encoding and back, as the server delivers it.
    let h = try! NATSHeaders.decode(headers?.encoded() ?? EventWire.headers(for: e, reach: reach).encoded())
    return NATSMessage(subject: "vigil.events.3", sid: 1, reply: nil, headers: h, payload: e.raw ?? [])
}

/// The worker's side: the parser for the named format, as `Engine.parser(for:)` builds it.
func decode(_ m: NATSMessage) -> EventWire.Decoded {
    EventWire.decode(m) { FormatParser(format: $0, detailActions: IdentityStitcher.mintingActions) }
}

@Suite struct EventWireTests {
    let stopLogging = TestSupport.threeHopChainThenStopLogging().last!

    @Test func aCloudTrailRecord_withItsStitchedActorAndReach_arrivesAsTheSameEvent() throws {
        var e = routed(stopLogging)
        e.actor = ActorChain(arn: "arn:aws:iam::123456789012:user/alice",
                             chain: ["arn:aws:iam::123456789012:role/build", "arn:aws:iam::123456789012:role/admin"])
        let reach = try JSONDecoder().decode(RoleReach.self, from: Data("""
            {"actor":{"arn":"arn:aws:iam::123456789012:user/alice","chain":[]},"role":"arn:aws:iam::123456789012:role/admin",
             "usualRoles":["arn:aws:iam::123456789012:role/build"],"knownRoles":1,"assumptions":4,"since":1772000000000}
            """.utf8))
        guard case .event(let got, let gotReach) = decode(message(e, reach: reach)) else { Issue.record("not decoded"); return }
        #expect(got.id == e.id && got.time == e.time && got.principal == e.principal && got.action == e.action)
        #expect(got.sourceIP == e.sourceIP && got.accessKeyID == e.accessKeyID && got.source == .cloudtrail)
        #expect(got.position == SourcePosition(input: "logs/2026/03/02/trail.json.gz", offset: 4096, line: 17))
        #expect(got.actor == e.actor)
        #expect(gotReach == reach)
    }

    @Test func anS3AccessLogLine_keepsItsBytesForTheWire_andParsesAgainOnTheWorker() {
        let line = #"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT photos/2019/08/puppy.jpg "GET /awsexamplebucket1/photos/2019/08/puppy.jpg?x-foo=bar HTTP/1.1" 200 - 113 113 7 6 "-" "aws-cli/2.13.5 Python/3.11" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -"#
        let e = routed(line)
        #expect(e.source == .s3Access)
        #expect(e.raw == Array(line.utf8))
        guard case .event(let got, nil) = decode(message(e)) else { Issue.record("not decoded"); return }
        #expect(got.id == e.id && got.principal == e.principal && got.action == e.action && got.bytesOut == e.bytesOut)
        #expect(got.raw == nil)   // the worker keeps raw bytes only where its rules read them, as replay does
        #expect(got.actor == nil)
    }

    @Test func anotherWireVersion_anUnknownFormat_orABrokenActor_isADeadLetter_notACrash() {
        let e = routed(stopLogging)
        var v2 = NATSHeaders([("Vigil-Event", "2"), ("Vigil-Format", "cloudtrail")])
        guard case .bad(let d2) = decode(message(e, headers: v2)) else { Issue.record("v2 accepted"); return }
        #expect(d2.reason == "wire-version-2")
        v2 = NATSHeaders([("Vigil-Event", "1"), ("Vigil-Format", "syslog")])
        guard case .bad(let df) = decode(message(e, headers: v2)) else { Issue.record("unknown format accepted"); return }
        #expect(df.reason == "wire-format-unknown")
        let broken = NATSHeaders([("Vigil-Event", "1"), ("Vigil-Format", "cloudtrail"), ("Vigil-Position", "0 1 x"), ("Vigil-Actor", "{\"arn\":\"arn:aws:iam::1:user/a\",\"chain\":[")])
        guard case .bad(let da) = decode(message(e, headers: broken)) else { Issue.record("broken actor accepted"); return }
        #expect(da.reason == "wire-actor")
        #expect(da.position.input == "x")
    }

    @Test func aRecordThatNoLongerParses_isDeadLetteredWithTheParsersReason() {
        var m = message(routed(stopLogging))
        m.payload = Array(#"{"eventVersion":"1.08","eventTime":"not a time"}"#.utf8)
        guard case .bad(let d) = decode(m) else { Issue.record("accepted"); return }
        #expect(!d.reason.isEmpty)
        #expect(d.position.line == 17)
    }

    @Test func anInputNameWithALineBreak_cannotSmuggleAHeader() throws {
        let e = routed(stopLogging, input: "evil\r\nVigil-Actor: {\"arn\":\"arn:aws:iam::1:user/mallory\",\"chain\":[]}")
        guard case .event(let got, _) = decode(message(e)) else { Issue.record("not decoded"); return }
        #expect(got.actor == nil)
        #expect(got.position.input == "evil")
    }
}

@Suite struct ShardLayoutTests {
    @Test func aPrincipalsShard_isFNV1aModN_theSameInEveryProcess() throws {
        let l = try ShardLayout(shards: 8)
        let role = "arn:aws:iam::123456789012:role/deploy"
        #expect(l.shard(of: role) == Int(StableHash.fnv1a(role) % 8))
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: a fixed value, not a per-process seed.
        #expect(StableHash.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(try ShardLayout(shards: 1).shard(of: role) == 0)
        var seen = Set<Int>()
        for i in 0..<200 { seen.insert(l.shard(of: "arn:aws:iam::123456789012:user/u\(i)")) }
        #expect(seen == Set(0..<8))   // 200 principals reach every shard
    }

    @Test func theShardCount_travelsInTheStreamDescription() throws {
        #expect(try ShardLayout(shards: 16).description == "vigil shards=16")
        #expect(ShardLayout.shards(fromDescription: "vigil shards=16") == 16)
        #expect(ShardLayout.shards(fromDescription: "orders") == nil)
        #expect(ShardLayout.shards(fromDescription: nil) == nil)
        #expect(throws: ClusterError.self) { try ShardLayout(shards: 0) }
        #expect(throws: ClusterError.self) { try ShardLayout(shards: 1025) }
    }
}
