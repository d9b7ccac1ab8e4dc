import Foundation
import Testing
@testable import VigilNATS
#if canImport(Glibc)
import Glibc
#endif

/// A real `nats-server -js` on a free loopback port with its store in a temporary folder, stopped
/// when the value goes away. `.ci/run` installs Debian's nats-server; without it these tests are
/// reported as skipped, never as passed.
final class NATSServerProcess: @unchecked Sendable {
    static let binary: String? = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { binary != nil }

    var process = Process()
    let port: Int
    let storeDir: String
    var url: String { "nats://127.0.0.1:\(port)" }

    init(extraArguments: [String] = []) throws {
        port = Self.freePort()
        storeDir = NSTemporaryDirectory() + "vigil-nats-\(UUID().uuidString)"
        arguments = ["-js", "-a", "127.0.0.1", "-p", "\(port)", "-sd", storeDir] + extraArguments
        try FileManager.default.createDirectory(atPath: storeDir, withIntermediateDirectories: true)
        try start()
    }

    let arguments: [String]

    /// Starts the server (again, after `kill()`: same port, same store) and waits until it answers.
    func start() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when it answers a NATS handshake, even with a refusal (a server requiring a token).
        for _ in 0..<200 {
            do {
                try NATSConnection.connect(try .init(url: url)).close()
                return
            } catch NATSError.server {
                return
            } catch {
                usleep(50_000)
            }
        }
        stop()
        throw NATSError.connect("nats-server did not start on \(port)")
    }

    /// Stops the server and removes its store.
    func stop() {
        kill()
        try? FileManager.default.removeItem(atPath: storeDir)
    }

    /// Stops the server, keeping its store for `start()`.
    func kill() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// A port the kernel just handed out on loopback (bound, read, released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

@Suite(.serialized, .enabled(if: NATSServerProcess.available, "nats-server is not installed (apt-get install nats-server)"))
struct JetStreamServerTests {
    @Test func core_publishSubscribeAndRequestReply_roundTripHeadersAndBytes() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let a = try NATSConnection.connect(try .init(url: server.url))
        let b = try NATSConnection.connect(try .init(url: server.url))
        defer { a.close(); b.close() }
        let sub = try b.subscribe("vigil.test.>")
        try b.flush()
        let payload: [UInt8] = Array(0...255) + Array("\r\nPUB x 1\r\n".utf8)
        try a.publish("vigil.test.one", headers: NATSHeaders([("Vigil-Shard", "3")]), payload: payload)
        let m = try #require(try sub.next(timeout: 5))
        #expect(m.subject == "vigil.test.one")
        #expect(m.payload == payload)
        #expect(m.headers["vigil-shard"] == "3")

        // A responder on b answers requests from a.
        let service = try b.subscribe("vigil.echo")
        try b.flush()
        let worker = Thread {
            if let req = try? service.next(timeout: 5), let reply = req.reply {
                try? b.publish(reply, payload: req.payload.reversed())
            }
        }
        worker.start()
        let answer = try a.request("vigil.echo", payload: Array("abc".utf8))
        #expect(answer.payload == Array("cba".utf8))
        #expect(throws: NATSError.noResponders("vigil.nobody")) { try a.request("vigil.nobody", payload: []) }
    }

    @Test func connect_whenTheServerRequiresAToken_failsWithoutIt_andSucceedsWithIt() throws {
        let server = try NATSServerProcess(extraArguments: ["--auth", "s3cret-token"])
        defer { server.stop() }
        #expect(throws: NATSError.self) { try NATSConnection.connect(try .init(url: server.url)) }
        var options = try NATSConnection.Options(url: server.url)
        options.token = "s3cret-token"
        let c = try NATSConnection.connect(options)
        try c.flush()
        c.close()
    }

    /// The router's promise: a message published twice with the same `Nats-Msg-Id` (a restarted
    /// router re-reading its input) is stored once.
    @Test func publish_withTheSameMsgID_isStoredOnce() throws {
        try withJetStream { js in
            var config = JetStream.StreamConfig(name: "VIGIL_EVENTS", subjects: ["vigil.events.>"])
            config.description = "vigil shards=2"
            config.duplicateWindowSeconds = 120
            let info = try js.ensureStream(config)
            #expect(info.description == "vigil shards=2")
            #expect(info.duplicateWindowSeconds == 120)
            let first = try js.publish("vigil.events.0", payload: Array("e1".utf8), msgID: "evt-1")
            let again = try js.publish("vigil.events.0", payload: Array("e1".utf8), msgID: "evt-1")
            let other = try js.publish("vigil.events.1", payload: Array("e2".utf8), msgID: "evt-2")
            #expect(!first.duplicate && again.duplicate && !other.duplicate)
            #expect(again.sequence == first.sequence)
            #expect(try js.streamInfo("VIGIL_EVENTS").messages == 2)
            // Creating it again keeps the existing stream (and says what it is).
            #expect(try js.ensureStream(config).messages == 2)
        }
    }

    /// The worker's promise: a pull consumer filtered to its shard delivers in stream order; what it
    /// acknowledged (AckAll up to a message) never comes back, what it did not comes back after
    /// `ack_wait` to a new fetch, marked as a redelivery.
    @Test func pullConsumer_deliversInOrder_andRedeliversOnlyTheUnacknowledgedTail() throws {
        try withJetStream { js in
            try js.ensureStream(.init(name: "VIGIL_EVENTS", subjects: ["vigil.events.>"]))
            for i in 0..<20 {
                _ = try js.publish("vigil.events.\(i % 2)", payload: Array("event-\(i)".utf8), msgID: "e\(i)")
            }
            var consumer = JetStream.ConsumerConfig(durable: "worker-0")
            consumer.filterSubject = "vigil.events.0"
            consumer.ackWaitSeconds = 2
            try js.ensureConsumer(stream: "VIGIL_EVENTS", consumer)

            let batch = try js.fetch(stream: "VIGIL_EVENTS", consumer: "worker-0", batch: 6, expires: 2)
            #expect(batch.map { String(decoding: $0.message.payload, as: UTF8.self) } == (0..<6).map { "event-\($0 * 2)" })
            #expect(batch.map(\.metadata.streamSequence) == [1, 3, 5, 7, 9, 11])
            #expect(batch.allSatisfy { $0.metadata.delivered == 1 })
            try js.ack(batch[3])   // AckAll: events 0, 2, 4, 6 are done

            Thread.sleep(forTimeInterval: 2.5)   // past ack_wait: 8 and 10 are due again
            // A short wait for the batch, well inside ack_wait, so nothing comes round a third time.
            let again = try js.fetch(stream: "VIGIL_EVENTS", consumer: "worker-0", batch: 10, expires: 0.5)
            #expect(again.map { String(decoding: $0.message.payload, as: UTF8.self) } == (4..<10).map { "event-\($0 * 2)" })
            #expect(again.prefix(2).allSatisfy { $0.metadata.delivered == 2 })
            try js.ack(again.last!)
            #expect(try js.fetch(stream: "VIGIL_EVENTS", consumer: "worker-0", batch: 5, expires: 0.5).isEmpty)
        }
    }

    /// The router's publisher: thousands of messages in flight, every one acknowledged, stored in
    /// publish order; publishing them again stores nothing (the duplicates are counted).
    @Test func publisher_pipelinesManyMessages_inOrder_andCountsDuplicates() throws {
        try withJetStream { js in
            try js.ensureStream(.init(name: "VIGIL_EVENTS", subjects: ["vigil.events.>"]))
            let p = try JetStreamPublisher(js.connection)
            p.maxInFlight = 512   // several windows' worth below
            for i in 0..<5_000 {
                try p.publish("vigil.events.\(i % 3)", msgID: "e\(i)", headers: NATSHeaders([("Vigil-Event", "1")]),
                              payload: Array("event-\(i)".utf8))
            }
            try p.drain()
            #expect(p.outstanding == 0 && p.stored == 5_000 && p.duplicates == 0)
            let info = try js.streamInfo("VIGIL_EVENTS")
            #expect(info.messages == 5_000 && info.lastSequence == 5_000)
            for i in 0..<5_000 { try p.publish("vigil.events.\(i % 3)", msgID: "e\(i)", payload: Array("event-\(i)".utf8)) }
            try p.drain()
            #expect(p.stored == 5_000 && p.duplicates == 5_000)
            #expect(try js.streamInfo("VIGIL_EVENTS").messages == 5_000)

            // Stream order is publish order: shard 1's messages come back 1, 4, 7, …
            var c = JetStream.ConsumerConfig(durable: "check")
            c.filterSubject = "vigil.events.1"
            try js.ensureConsumer(stream: "VIGIL_EVENTS", c)
            let got = try js.fetch(stream: "VIGIL_EVENTS", consumer: "check", batch: 50, expires: 2)
            #expect(got.map { String(decoding: $0.message.payload, as: UTF8.self) } == (0..<50).map { "event-\($0 * 3 + 1)" })
            #expect(got.first?.message.headers["Vigil-Event"] == "1")
        }
    }

    @Test func publisher_toASubjectNoStreamStores_failsClearly() throws {
        try withJetStream { js in
            let p = try JetStreamPublisher(js.connection)
            try p.publish("vigil.nowhere", msgID: "x", payload: [1])
            #expect(throws: NATSError.self) { try p.drain() }
        }
    }

    /// What a worker does at start: a consumer that had delivered messages nobody acknowledged is
    /// created afresh from the sequence after its checkpoint, so delivery resumes there, in order,
    /// at once (not after ack_wait, behind newer messages).
    @Test func restartConsumer_deliversFromTheGivenSequence_inOrder_atOnce() throws {
        try withJetStream { js in
            try js.ensureStream(.init(name: "VIGIL_EVENTS", subjects: ["vigil.events.>"]))
            for i in 0..<12 { _ = try js.publish("vigil.events.0", payload: Array("e\(i)".utf8), msgID: "m\(i)") }
            var c = JetStream.ConsumerConfig(durable: "vigil-shard-0")
            c.filterSubject = "vigil.events.0"
            c.ackWaitSeconds = 60
            try js.ensureConsumer(stream: "VIGIL_EVENTS", c)
            let first = try js.fetch(stream: "VIGIL_EVENTS", consumer: "vigil-shard-0", batch: 8, expires: 1)
            #expect(first.count == 8)   // delivered, never acknowledged: the worker "died" after a checkpoint at 4
            c.startSequence = 5
            try js.restartConsumer(stream: "VIGIL_EVENTS", c)
            let again = try js.fetch(stream: "VIGIL_EVENTS", consumer: "vigil-shard-0", batch: 20, expires: 1)
            #expect(again.map(\.metadata.streamSequence) == Array(5...12))
            #expect(try js.deleteConsumer(stream: "VIGIL_EVENTS", name: "vigil-shard-0"))
            #expect(try !js.deleteConsumer(stream: "VIGIL_EVENTS", name: "vigil-shard-0"))
        }
    }

    /// A fresh server and a JetStream context on it, for one test.
    func withJetStream(_ body: (JetStream) throws -> Void) throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let nc = try NATSConnection.connect(try .init(url: server.url))
        defer { nc.close() }
        try body(JetStream(nc))
    }

    @Test func connection_whenTheServerStops_andReconnectIsOff_failsCallsWithClosed() throws {
        let server = try NATSServerProcess()
        var options = try NATSConnection.Options(url: server.url)
        options.reconnect = false
        let nc = try NATSConnection.connect(options)
        defer { nc.close() }
        server.stop()
        Thread.sleep(forTimeInterval: 0.3)
        #expect(throws: NATSError.closed) { try nc.flush(timeout: 2) }
    }

    @Test func connection_whenTheServerNeverComesBack_givesUpAfterTheReconnectTimeout() throws {
        let server = try NATSServerProcess()
        var options = try NATSConnection.Options(url: server.url)
        options.reconnectTimeout = 1
        let nc = try NATSConnection.connect(options)
        defer { nc.close() }
        server.stop()
        let started = Date()
        #expect(throws: NATSError.self) { try nc.publish("vigil.x", payload: []) ; try nc.flush(timeout: 5) }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// A restarted server (same port, same store): the connection comes back by itself, its
    /// subscriptions are live again, and the JetStream stream is still there.
    @Test func connection_afterTheServerRestarts_reconnectsAndResubscribes() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let nc = try NATSConnection.connect(try .init(url: server.url))
        defer { nc.close() }
        let js = JetStream(nc)
        try js.ensureStream(.init(name: "VIGIL_ALERTS", subjects: ["vigil.alerts.>"]))
        _ = try js.publish("vigil.alerts.high", payload: Array("a1".utf8), msgID: "a1")
        let sub = try nc.subscribe("vigil.live")
        try nc.flush()

        server.kill()
        try server.start()
        // Writes wait for the connection to come back; the flush proves the server has our SUB again.
        // A flush that straddles the loss says so (`disconnected`), and is simply sent again.
        var flushed = false
        for _ in 0..<3 where !flushed {
            do {
                try nc.flush(timeout: 10)
                flushed = true
            } catch NATSError.disconnected {
                continue
            }
        }
        #expect(flushed)
        #expect(nc.reconnects == 1)
        let other = try NATSConnection.connect(try .init(url: server.url))
        defer { other.close() }
        try other.publish("vigil.live", payload: Array("after".utf8))
        #expect(try sub.next(timeout: 5)?.payload == Array("after".utf8))
        #expect(try js.streamInfo("VIGIL_ALERTS").messages == 1)
        #expect(try js.publish("vigil.alerts.high", payload: Array("a1".utf8), msgID: "a1").duplicate)
    }
}
