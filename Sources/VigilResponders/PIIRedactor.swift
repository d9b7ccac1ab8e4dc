import Crypto
import Foundation
import VigilCore

/// `--redact pii`: e-mail addresses and IP addresses in what Vigil emits are replaced by keyed
/// hashes, `pii:` + 16 hex digits of HMAC-SHA256(key, value).
///
/// Why keyed and stable: the same address always becomes the same token, so analysts can still
/// correlate ("the same source as yesterday's alert"), but without the key nobody can test guesses
/// against the tokens (a plain hash of an IPv4 address is reversed by trying all 2³² of them). The
/// key lives in the state directory (`redact.key`, 0600) or a file named in the config.
public struct PIIRedactor: Sendable {
    let key: SymmetricKey

    public init(key: [UInt8]) { self.key = SymmetricKey(data: key) }

    /// Loads `path`, or creates it (32 random bytes, mode 0600) when missing.
    public static func loadOrCreateKey(_ path: String) throws -> [UInt8] {
        if let d = FileManager.default.contents(atPath: path) {
            try TrustedFile.check(path, what: "redaction key")
            guard d.count >= 16 else { throw ResponderError.insecure(path, "redaction key is shorter than 16 bytes") }
            return [UInt8](d)
        }
        let k = SymmetricKey(size: .bits256).withUnsafeBytes { [UInt8]($0) }
        guard FileManager.default.createFile(atPath: path, contents: Data(k), attributes: [.posixPermissions: 0o600]) else {
            throw ResponderError.cannotOpen(path, errno: 0)
        }
        return k
    }

    public func token(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(value.lowercased().utf8), using: key)
        return "pii:" + mac.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The alert with e-mail and IP addresses replaced in the principal, the actor (its origin and
    /// chain: SAML subjects and role session names are often e-mail addresses), title and reason texts.
    public func redact(_ a: Alert) -> Alert {
        var out = a
        out.finding.principal = redact(text: a.finding.principal)
        if let actor = a.finding.actor {
            out.finding.actor = ActorChain(arn: redact(text: actor.arn), chain: actor.chain.map { redact(text: $0) })
        }
        out.finding.title = redact(text: a.finding.title)
        for i in out.finding.reasons.indices { out.finding.reasons[i].text = redact(text: out.finding.reasons[i].text) }
        return out
    }

    /// Replaces every e-mail address and IPv4/IPv6 address in `text`.
    public func redact(text: String) -> String {
        let chars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < chars.count {
            let boundary = i == 0 || !(PIIRedactor.isWord(chars[i - 1]) || ".%+-@:".unicodeScalars.contains(chars[i - 1]))
            if boundary, let end = PIIRedactor.ipEnd(chars, i) ?? PIIRedactor.emailEnd(chars, i) {
                out.append(contentsOf: token(String(String.UnicodeScalarView(chars[i..<end]))).unicodeScalars)
                i = end
                continue
            }
            out.append(chars[i])
            i += 1
        }
        return String(out)
    }

    static func isWord(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
    }

    static func isHex(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "f") || (c >= "A" && c <= "F") || (c >= "0" && c <= "9")
    }

    /// `local@domain.tld` starting at `i` (the local part may hold `.`, `_`, `%`, `+`, `-`).
    static func emailEnd(_ c: [Unicode.Scalar], _ i: Int) -> Int? {
        var j = i
        while j < c.count, isWord(c[j]) || ".%+-".unicodeScalars.contains(c[j]) { j += 1 }
        guard j > i, j < c.count, c[j] == "@" else { return nil }
        var k = j + 1
        var dots = 0
        var lastDot = -1
        while k < c.count, isWord(c[k]) || c[k] == "-" || c[k] == "." {
            if c[k] == "." { dots += 1; lastDot = k }
            k += 1
        }
        while k > j + 1, c[k - 1] == "." { k -= 1; dots -= 1 }     // a sentence's full stop
        lastDot = (j + 1..<k).last { c[$0] == "." } ?? -1
        guard dots >= 1, lastDot > j + 1, lastDot < k - 1 else { return nil }
        return k
    }

    /// An IPv4 (`a.b.c.d`, each ≤ 255) or IPv6 address (with `::`, or eight groups) at `i`, not
    /// glued to a longer word.
    static func ipEnd(_ c: [Unicode.Scalar], _ i: Int) -> Int? {
        // IPv4
        var j = i
        var parts = 0
        var ok = true
        while parts < 4 {
            let s = j
            var v = 0
            while j < c.count, c[j] >= "0" && c[j] <= "9", j - s < 3 { v = v * 10 + Int(c[j].value - 48); j += 1 }
            if j == s || v > 255 { ok = false; break }
            parts += 1
            if parts < 4 {
                guard j < c.count, c[j] == "." else { ok = false; break }
                j += 1
            }
        }
        if ok, parts == 4, j == c.count || !(isWord(c[j]) || (c[j] == "." && j + 1 < c.count && isWord(c[j + 1]))) { return j }
        // IPv6
        j = i
        var colons = 0
        var double = false
        var group = 0
        var digits = 0
        while j < c.count, isHex(c[j]) || c[j] == ":" {
            if c[j] == ":" {
                colons += 1
                if j + 1 < c.count, c[j + 1] == ":" { double = true }
                group = 0
            } else {
                group += 1
                digits += 1
                if group > 4 { return nil }
            }
            j += 1
        }
        if j < c.count, isWord(c[j]) { return nil }
        if digits > 0, (double && colons >= 2) || colons == 7 { return j }
        return nil
    }
}
