import Crypto
import Foundation
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// Vigil's own record of what it did — configuration loaded, alerts emitted, webhooks delivered or
/// given up, quarantines planned, executed and released — as a hash chain signed with Ed25519.
///
/// Each line is `{"seq":N,"time":…,"kind":…,"detail":{…},"prev":H(N−1),"hash":H(N),"sig":S}` where
/// H(N) is SHA-256 of the line's text up to `"hash"` (closed with `}`), and S the Ed25519 signature
/// of H(N)'s hex. Editing, deleting or reordering a line breaks the chain at that line; a forged line
/// needs the private key. The chain head (last seq, hash, signature) can also go to `--audit-head`
/// for shipping off-host, which is what catches a truncated tail.
///
/// The key is generated on first use in the state directory (`audit.key`, mode 0600; the public key
/// in `audit.pub`). Appends are thread-safe (the webhook thread writes too).
public final class AuditTrail: @unchecked Sendable {
    public let path: String
    public let headPath: String?
    private let key: Curve25519.Signing.PrivateKey
    private let lock = NSLock()
    private var fd: Int32
    private var seq: Int
    private var prev: String
    public static let genesis = String(repeating: "0", count: 64)

    /// Opens (or starts) `dir/audit.log`, loading or creating the signing key beside it. A partial
    /// last line (a crash mid-write) is cut off before appending, and the cut is itself recorded.
    public init(directory dir: String, headPath: String? = nil, clock: @escaping () -> Int64 = AuditTrail.wallMillis) throws {
        path = dir + "/audit.log"
        self.headPath = headPath
        self.clock = clock
        key = try AuditTrail.loadOrCreateKey(dir)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ResponderError.cannotOpen(path, errno: errno) }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var cut = 0
        var body = Substring(text)
        if !text.isEmpty && !text.hasSuffix("\n") {
            let keep = text.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
            cut = text.utf8.distance(from: keep.samePosition(in: text.utf8)!, to: text.utf8.endIndex)
            body = text[..<keep]
            _ = ftruncate(fd, off_t(body.utf8.count))
        }
        seq = 0
        prev = AuditTrail.genesis
        if let last = body.split(separator: "\n").last, let entry = AuditEntry.parse(String(last)) {
            seq = entry.seq
            prev = entry.hash
        }
        _ = lseek(fd, 0, SEEK_END)
        if cut > 0 { try append("audit-recovered", [("dropped_partial_bytes", .int(cut))]) }
    }

    private let clock: () -> Int64

    deinit { close(fd) }

    /// The public key (base64 of its 32 raw bytes), as `vigil audit verify --public-key` takes it.
    public var publicKeyBase64: String { key.publicKey.rawRepresentation.base64EncodedString() }

    /// Appends one signed entry. `detail` values are rendered as JSON in key order.
    public func append(_ kind: String, _ detail: [(String, AuditValue)]) throws {
        lock.lock()
        defer { lock.unlock() }
        seq += 1
        var body = "{\"seq\":\(seq),\"time\":\"\(EventTime.format(clock()))\",\"kind\":"
        JSONText.appendString(kind, to: &body)
        body += ",\"detail\":{"
        for (i, (k, v)) in detail.enumerated() {
            if i > 0 { body += "," }
            JSONText.appendString(k, to: &body)
            body += ":" + v.json
        }
        body += "},\"prev\":\"\(prev)\""
        let hash = Digest.sha256Hex(Array((body + "}").utf8))
        let sig = try key.signature(for: Data(hash.utf8)).base64EncodedString()
        let line = body + ",\"hash\":\"\(hash)\",\"sig\":\"\(sig)\"}\n"
        var off = 0
        let bytes = Array(line.utf8)
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; throw ResponderError.writeFailed(path, errno: errno) }
            off += n
        }
        prev = hash
        if let h = headPath {
            let head = "{\"seq\":\(seq),\"hash\":\"\(hash)\",\"sig\":\"\(sig)\",\"public_key\":\"\(publicKeyBase64)\"}\n"
            let tmp = h + ".tmp"
            if FileManager.default.createFile(atPath: tmp, contents: Data(head.utf8), attributes: [.posixPermissions: 0o600]) {
                _ = rename(tmp, h)
            }
        }
    }

    /// The file descriptor, fsynced by the checkpoint thread before each checkpoint.
    public var descriptor: Int32 { fd }

    public static func wallMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    static func loadOrCreateKey(_ dir: String) throws -> Curve25519.Signing.PrivateKey {
        let keyPath = dir + "/audit.key"
        if let raw = FileManager.default.contents(atPath: keyPath) {
            var st = stat()
            if stat(keyPath, &st) == 0, st.st_mode & 0o077 != 0 {
                throw ResponderError.insecure(keyPath, "the audit signing key must be readable by its owner only (chmod 600)")
            }
            return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        }
        let k = Curve25519.Signing.PrivateKey()
        let fd = open(keyPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ResponderError.cannotOpen(keyPath, errno: errno) }
        let raw = [UInt8](k.rawRepresentation)
        _ = raw.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        _ = fsync(fd)
        close(fd)
        let pub = k.publicKey.rawRepresentation.base64EncodedString() + "\n"
        FileManager.default.createFile(atPath: dir + "/audit.pub", contents: Data(pub.utf8), attributes: [.posixPermissions: 0o644])
        return k
    }
}

/// A value in an audit entry's detail.
public enum AuditValue {
    case string(String)
    case int(Int)
    case bool(Bool)

    var json: String {
        switch self {
        case .string(let s): var o = ""; JSONText.appendString(s, to: &o); return o
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// One parsed audit line (for resuming the chain and for verification).
public struct AuditEntry {
    public var seq: Int
    public var prev: String
    public var hash: String
    public var sig: String
    /// The signed text: the line up to `,"hash":`, closed with `}`.
    public var body: String

    public static func parse(_ line: String) -> AuditEntry? {
        guard let r = line.range(of: ",\"hash\":\"", options: .backwards), line.hasSuffix("\"}") else { return nil }
        let body = String(line[..<r.lowerBound]) + "}"
        let tail = line[r.upperBound...]
        guard let q = tail.firstIndex(of: "\"") else { return nil }
        let hash = String(tail[..<q])
        guard let s = tail.range(of: ",\"sig\":\"") else { return nil }
        let sig = String(tail[s.upperBound...].dropLast(2))
        guard let obj = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let seq = obj["seq"] as? Int, let prev = obj["prev"] as? String else { return nil }
        return AuditEntry(seq: seq, prev: prev, hash: hash, sig: sig, body: body)
    }
}

/// Checks an audit file: every line parses, sequence numbers run 1, 2, 3…, each line's `prev` is the
/// hash of the line before, each hash is the SHA-256 of its line's text, and each signature verifies
/// with the public key. Returns nil when all hold, or the first bad entry and why.
public enum AuditVerifier {
    public struct Problem: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "entry \(line): \(reason)" }
    }

    public static func verify(text: String, publicKey: Curve25519.Signing.PublicKey, head: (seq: Int, hash: String)? = nil) -> (entries: Int, problem: Problem?) {
        var prev = AuditTrail.genesis
        var n = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty && i > 0 { continue }
            let number = i + 1
            guard let e = AuditEntry.parse(String(line)) else { return (n, Problem(line: number, reason: "not an audit entry (damaged or edited)")) }
            guard e.seq == n + 1 else { return (n, Problem(line: number, reason: "sequence \(e.seq) where \(n + 1) was expected (an entry was deleted, inserted or moved)")) }
            guard e.prev == prev else { return (n, Problem(line: number, reason: "does not chain to the entry before (an entry was deleted, inserted or moved)")) }
            guard Digest.sha256Hex(Array(e.body.utf8)) == e.hash else { return (n, Problem(line: number, reason: "its content does not match its hash (edited)")) }
            guard let sig = Data(base64Encoded: e.sig), publicKey.isValidSignature(sig, for: Data(e.hash.utf8)) else {
                return (n, Problem(line: number, reason: "signature does not verify with this public key"))
            }
            prev = e.hash
            n += 1
        }
        if let h = head {
            if n < h.seq { return (n, Problem(line: n + 1, reason: "the chain head names entry \(h.seq) but the file ends at \(n) (entries were cut off)")) }
            if n >= h.seq, h.seq > 0 {
                let lines = text.split(separator: "\n")
                if let e = AuditEntry.parse(String(lines[h.seq - 1])), e.hash != h.hash {
                    return (n, Problem(line: h.seq, reason: "differs from the chain head"))
                }
            }
        }
        return (n, nil)
    }

    /// Reads a public key given as base64 or hex of the 32 raw bytes (optionally in a head file's
    /// `public_key` field is not accepted: the key must come from a trusted place).
    public static func publicKey(fromText text: String) throws -> Curve25519.Signing.PublicKey {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let d = Data(base64Encoded: t), d.count == 32 { return try Curve25519.Signing.PublicKey(rawRepresentation: d) }
        if t.count == 64, let bytes = hexBytes(t) { return try Curve25519.Signing.PublicKey(rawRepresentation: bytes) }
        throw ResponderError.insecure("public key", "not 32 bytes in base64 or hex")
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let x = UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16) else { return nil }
            out.append(x)
        }
        return out
    }
}

/// The public-key type the CLI names (so it need not import Crypto).
public typealias Curve25519PublicKey = Curve25519.Signing.PublicKey
