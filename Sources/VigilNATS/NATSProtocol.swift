import VigilCore

/// The NATS client protocol (text control lines, CRLF-terminated, payloads counted in bytes): what a
/// client sends, encoded, and what a server sends, parsed from a byte stream in any chunking.
///
/// Why hand-written: no Swift NATS package is among those this project can resolve, and Vigil uses a
/// small part of the protocol (publish with headers, subscribe, request/reply, keep-alive). Kept pure
/// (bytes in, values out) so the parser is tested on every split of a stream without a server.
public enum NATSProtocol {
    /// A protocol line longer than this (an INFO line, a MSG header) is a broken or hostile peer.
    public static let maxControlLine = 64 * 1024

    /// `CONNECT {json}`: headers and no-responders on, verbose off, optional credentials. The JSON is
    /// built by hand so the credentials are escaped exactly once and never logged.
    public static func connect(name: String, user: String? = nil, pass: String? = nil, token: String? = nil) -> [UInt8] {
        var o = "{\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"lang\":\"swift\",\"version\":\"vigil\""
        o += ",\"protocol\":1,\"headers\":true,\"no_responders\":true,\"name\":" + JSONText.quoted(name)
        if let user { o += ",\"user\":" + JSONText.quoted(user) }
        if let pass { o += ",\"pass\":" + JSONText.quoted(pass) }
        if let token { o += ",\"auth_token\":" + JSONText.quoted(token) }
        return Array(("CONNECT " + o + "}\r\n").utf8)
    }

    /// `PUB subject [reply] n` or, with headers, `HPUB subject [reply] hdrLen totalLen`, then the
    /// header block and payload.
    public static func publish(subject: String, reply: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendPublish(to: &out, subject: subject, reply: reply, headers: headers, payload: payload)
        return out
    }

    /// `publish` appended to a buffer of many (the publisher writes a batch in one go).
    public static func appendPublish(to out: inout [UInt8], subject: String, reply: String? = nil, headers: NATSHeaders? = nil,
                                     payload: [UInt8]) {
        if let headers, !headers.isEmpty {
            var block: [UInt8] = []
            headers.appendEncoded(to: &block)
            out += "HPUB ".utf8
            out += subject.utf8
            if let reply { out.append(32); out += reply.utf8 }
            out += " \(block.count) \(block.count + payload.count)\r\n".utf8
            out += block
        } else {
            out += "PUB ".utf8
            out += subject.utf8
            if let reply { out.append(32); out += reply.utf8 }
            out += " \(payload.count)\r\n".utf8
        }
        out += payload
        out += [13, 10]
    }

    public static func subscribe(subject: String, sid: Int, queue: String? = nil) -> [UInt8] {
        Array("SUB \(subject)\(queue.map { " " + $0 } ?? "") \(sid)\r\n".utf8)
    }

    public static func unsubscribe(sid: Int) -> [UInt8] { Array("UNSUB \(sid)\r\n".utf8) }
    public static let ping: [UInt8] = Array("PING\r\n".utf8)
    public static let pong: [UInt8] = Array("PONG\r\n".utf8)

    /// A subject or reply subject: non-empty, no whitespace (the protocol's field separator).
    public static func isValidSubject(_ s: String) -> Bool {
        !s.isEmpty && !s.utf8.contains { $0 == 32 || $0 == 9 || $0 == 13 || $0 == 10 }
    }
}

/// One message delivered to a subscription (`MSG` or `HMSG`).
public struct NATSMessage: Sendable, Equatable {
    public var subject: String
    public var sid: Int
    public var reply: String?
    public var headers: NATSHeaders
    public var payload: [UInt8]

    public init(subject: String, sid: Int, reply: String?, headers: NATSHeaders = NATSHeaders(), payload: [UInt8]) {
        self.subject = subject
        self.sid = sid
        self.reply = reply
        self.headers = headers
        self.payload = payload
    }
}

/// What a server sends.
public enum NATSServerOp: Sendable, Equatable {
    case info(String)
    case msg(NATSMessage)
    case ping
    case pong
    case ok
    case err(String)
}

/// Errors of the NATS client, each saying what happened in words an operator can act on.
public enum NATSError: Error, Equatable, CustomStringConvertible {
    case protocolViolation(String)
    case server(String)
    case url(String)
    case connect(String)
    case timeout(String)
    case closed
    case disconnected
    case noResponders(String)
    case jetStream(code: Int, description: String)

    public var description: String {
        switch self {
        case .protocolViolation(let s): return "NATS protocol error: \(s)"
        case .server(let s): return "NATS server error: \(s)"
        case .url(let s): return "not a NATS URL: \(s) (nats://HOST:PORT)"
        case .connect(let s): return "cannot connect to NATS: \(s)"
        case .timeout(let s): return "NATS: no answer in time to \(s)"
        case .closed: return "NATS connection closed"
        case .disconnected: return "NATS connection lost while waiting for an answer (reconnecting; resend if it matters)"
        case .noResponders(let s): return "NATS: nobody answers on \(s) (is JetStream enabled on the server?)"
        case .jetStream(let code, let d): return "JetStream error \(code): \(d)"
        }
    }
}

/// Splits a server byte stream into ``NATSServerOp``s, whatever the chunk boundaries.
///
/// - Complexity: O(bytes) amortised; holds at most one unfinished operation (capped at
///   ``NATSProtocol/maxControlLine`` for the line, the server's announced payload for the body).
public struct NATSParser: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// A MSG/HMSG whose control line is read, waiting for its `total` bytes (+ CRLF).
    private var pending: (subject: String, sid: Int, reply: String?, headerBytes: Int, total: Int)?

    public init() {}

    /// Appends `bytes` and returns every operation now complete, in order.
    public mutating func push(_ bytes: some Collection<UInt8>) throws -> [NATSServerOp] {
        buffer.append(contentsOf: bytes)
        var ops: [NATSServerOp] = []
        while let op = try next() { ops.append(op) }
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return ops
    }

    private mutating func next() throws -> NATSServerOp? {
        if let p = pending {
            guard buffer.count - start >= p.total + 2 else { return nil }
            let bodyStart = start
            guard buffer[bodyStart + p.total] == 13, buffer[bodyStart + p.total + 1] == 10 else {
                throw NATSError.protocolViolation("message payload not followed by CRLF")
            }
            start += p.total + 2
            pending = nil
            let headers = p.headerBytes > 0 ? try NATSHeaders.decode(buffer[bodyStart..<(bodyStart + p.headerBytes)]) : NATSHeaders()
            return .msg(NATSMessage(subject: p.subject, sid: p.sid, reply: p.reply, headers: headers,
                                    payload: Array(buffer[(bodyStart + p.headerBytes)..<(bodyStart + p.total)])))
        }
        guard let lf = buffer[start...].firstIndex(of: 10) else {
            if buffer.count - start > NATSProtocol.maxControlLine { throw NATSError.protocolViolation("control line over 64 KiB") }
            return nil
        }
        var end = lf
        if end > start && buffer[end - 1] == 13 { end -= 1 }
        let lineStart = start
        start = lf + 1
        // Fields as byte ranges: a MSG line becomes Strings only for its subject and reply.
        var fields: [Range<Int>] = []
        var i = lineStart
        while i < end {
            while i < end && (buffer[i] == 32 || buffer[i] == 9) { i += 1 }
            let f = i
            while i < end && buffer[i] != 32 && buffer[i] != 9 { i += 1 }
            if i > f { fields.append(f..<i) }
        }
        guard let verbRange = fields.first else { return try next() }
        func text(_ r: Range<Int>) -> String { String(decoding: buffer[r], as: UTF8.self) }
        func int(_ r: Range<Int>) -> Int? {
            guard !r.isEmpty, r.count <= 18 else { return nil }
            var v = 0
            for b in buffer[r] {
                guard b >= 48 && b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        func line() -> String { text(lineStart..<end) }
        switch text(verbRange).uppercased() {
        case "PING": return .ping
        case "PONG": return .pong
        case "+OK": return .ok
        case "-ERR":
            var t = line().dropFirst(4).trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("'") && t.hasSuffix("'") && t.count >= 2 { t = String(t.dropFirst().dropLast()) }
            return .err(t)
        case "INFO": return .info(String(line().dropFirst(4)).trimmingCharacters(in: .whitespaces))
        case "MSG":
            // MSG <subject> <sid> [reply-to] <#bytes>
            guard fields.count == 4 || fields.count == 5, let sid = int(fields[2]), let n = int(fields.last!) else {
                throw NATSError.protocolViolation("bad MSG line: \(line().prefix(200))")
            }
            pending = (text(fields[1]), sid, fields.count == 5 ? text(fields[3]) : nil, 0, n)
            return try next()
        case "HMSG":
            // HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
            guard fields.count == 5 || fields.count == 6, let sid = int(fields[2]),
                  let h = int(fields[fields.count - 2]), let n = int(fields.last!), n >= h else {
                throw NATSError.protocolViolation("bad HMSG line: \(line().prefix(200))")
            }
            pending = (text(fields[1]), sid, fields.count == 6 ? text(fields[3]) : nil, h, n)
            return try next()
        case let verb:
            throw NATSError.protocolViolation("unknown operation \(verb.prefix(20))")
        }
    }
}

#if canImport(Foundation)
import Foundation
#endif
