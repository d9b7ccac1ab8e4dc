import Testing
@testable import VigilNATS

/// The parser against a recorded server stream, cut at every byte: the operations must come out the
/// same however the socket splits them.
@Suite struct NATSParserTests {
    /// An HMSG line and body with the byte counts computed, as a server writes them.
    static func hmsg(_ subject: String, _ sid: Int, _ header: String, _ payload: String) -> String {
        let h = header.utf8.count
        return "HMSG \(subject) \(sid) \(h) \(h + payload.utf8.count)\r\n\(header)\(payload)\r\n"
    }

    static let stream: [UInt8] = Array((
        "INFO {\"server_id\":\"NABC\",\"version\":\"2.9.10\",\"headers\":true,\"max_payload\":1048576}\r\n"
        + "PING\r\n"
        + "MSG vigil.events.0 1 11\r\nhello world\r\n"
        + "MSG _INBOX.x.1 2 $JS.ACK.VIGIL_EVENTS.w0.1.7.7.1733400000000000000.0 3\r\n{\"}\r\n"
        + hmsg("_INBOX.y.2", 3, "NATS/1.0\r\nNats-Msg-Id: e1\r\n\r\n", "abc\r\n")
        + hmsg("_INBOX.z.3", 4, "NATS/1.0 404 No Messages\r\n\r\n", "")
        + "+OK\r\nPONG\r\n-ERR 'Authorization Violation'\r\n").utf8)

    static let expected: [NATSServerOp] = [
        .info("{\"server_id\":\"NABC\",\"version\":\"2.9.10\",\"headers\":true,\"max_payload\":1048576}"),
        .ping,
        .msg(NATSMessage(subject: "vigil.events.0", sid: 1, reply: nil, payload: Array("hello world".utf8))),
        .msg(NATSMessage(subject: "_INBOX.x.1", sid: 2, reply: "$JS.ACK.VIGIL_EVENTS.w0.1.7.7.1733400000000000000.0",
                         payload: Array("{\"}".utf8))),
        .msg(NATSMessage(subject: "_INBOX.y.2", sid: 3, reply: nil, headers: NATSHeaders([("Nats-Msg-Id", "e1")]),
                         payload: Array("abc\r\n".utf8))),
        .msg(NATSMessage(subject: "_INBOX.z.3", sid: 4, reply: nil, headers: {
            var h = NATSHeaders(); h.status = 404; h.statusDescription = "No Messages"; return h }(), payload: [])),
        .ok, .pong, .err("Authorization Violation"),
    ]

    @Test func push_atEverySplit_yieldsTheSameOperations() throws {
        for cut in 0...Self.stream.count {
            var p = NATSParser()
            var ops = try p.push(Self.stream[0..<cut])
            ops += try p.push(Self.stream[cut...])
            #expect(ops == Self.expected, "split at \(cut)")
        }
    }

    @Test func push_byteByByte_yieldsTheSameOperations() throws {
        var p = NATSParser()
        var ops: [NATSServerOp] = []
        for b in Self.stream { ops += try p.push([b]) }
        #expect(ops == Self.expected)
    }

    @Test func push_whenPayloadIsNotFollowedByCRLF_isAProtocolError() {
        var p = NATSParser()
        #expect(throws: NATSError.self) { _ = try p.push(Array("MSG a 1 2\r\nabXY".utf8)) }
    }

    @Test func push_whenControlLineNeverEnds_givesUpAtTheCap() {
        var p = NATSParser()
        #expect(throws: NATSError.self) { _ = try p.push([UInt8](repeating: 65, count: NATSProtocol.maxControlLine + 2)) }
    }

    @Test func push_unknownOperation_isAProtocolError() {
        var p = NATSParser()
        #expect(throws: NATSError.self) { _ = try p.push(Array("HELLO\r\n".utf8)) }
    }

    @Test func publish_withHeaders_countsHeaderAndTotalBytes() {
        let h = NATSHeaders([("Nats-Msg-Id", "evt-1")])
        let wire = String(decoding: NATSProtocol.publish(subject: "vigil.events.3", headers: h, payload: Array("{}".utf8)), as: UTF8.self)
        #expect(wire == "HPUB vigil.events.3 32 34\r\nNATS/1.0\r\nNats-Msg-Id: evt-1\r\n\r\n{}\r\n")
        let plain = String(decoding: NATSProtocol.publish(subject: "a", reply: "_INBOX.1", payload: Array("x".utf8)), as: UTF8.self)
        #expect(plain == "PUB a _INBOX.1 1\r\nx\r\n")
    }

    @Test func headers_roundTrip_andCannotSmuggleALine() throws {
        let h = NATSHeaders([("Nats-Msg-Id", "a\r\nX-Evil: 1"), ("Vigil-Shard", "2")])
        let back = try NATSHeaders.decode(h.encoded())
        #expect(back["nats-msg-id"] == "a")
        #expect(back["X-Evil"] == nil)
        #expect(back["Vigil-Shard"] == "2")
    }

    @Test func connect_escapesCredentialsAsJSON() {
        let line = String(decoding: NATSProtocol.connect(name: "vigil", user: "u\"1", pass: "p\\2"), as: UTF8.self)
        #expect(line.contains(#""user":"u\"1""#))
        #expect(line.contains(#""pass":"p\\2""#))
        #expect(line.hasSuffix("}\r\n"))
    }

    @Test func options_parseURLs_andRefuseCredentialsInThem() throws {
        let a = try NATSConnection.Options(url: "nats://127.0.0.1:4333")
        #expect(a.host == "127.0.0.1" && a.port == 4333)
        let b = try NATSConnection.Options(url: "nats://[::1]")
        #expect(b.host == "::1" && b.port == 4222)
        #expect(throws: NATSError.self) { try NATSConnection.Options(url: "nats://user:secret@127.0.0.1:4222") }
        #expect(!a.tls)
        let t = try NATSConnection.Options(url: "tls://nats.internal:4443")
        #expect(t.tls && t.host == "nats.internal" && t.port == 4443)
        #expect(throws: NATSError.self) { try NATSConnection.Options(url: "tls://user:secret@127.0.0.1:4222") }
        #expect(throws: NATSError.self) { try NATSConnection.Options(url: "http://127.0.0.1:4222") }
    }

    @Test func ackSubject_metadata_readsBothForms() {
        let m = JetStreamMessage.Metadata(ackSubject: "$JS.ACK.VIGIL_EVENTS.w0.2.15.9.1733400000000000000.4")
        #expect(m?.stream == "VIGIL_EVENTS" && m?.consumer == "w0" && m?.delivered == 2)
        #expect(m?.streamSequence == 15 && m?.consumerSequence == 9 && m?.pending == 4)
        let n = JetStreamMessage.Metadata(ackSubject: "$JS.ACK.hub.ACCHASH.VIGIL_EVENTS.w1.1.3.3.1733400000000000000.0.tok")
        #expect(n?.stream == "VIGIL_EVENTS" && n?.consumer == "w1" && n?.streamSequence == 3)
        #expect(JetStreamMessage.Metadata(ackSubject: "_INBOX.abc") == nil)
    }
}
