import Crypto
import Foundation
import Testing
@testable import VigilResponders
import VigilTestSupport

/// The audit trail holds up in front of an auditor: any edit, deletion or reordering is found and the
/// first bad entry named; a truncated tail is found against the shipped chain head.
@Suite struct AuditTrailTests {
    /// A trail of five entries in a fresh directory; returns the directory, file text and public key.
    func makeTrail(head: Bool = false) throws -> (dir: String, text: String, key: Curve25519.Signing.PublicKey) {
        let dir = TestSupport.tempDir()
        var t: Int64 = 1_780_000_000_000
        let trail = try AuditTrail(directory: dir, headPath: head ? dir + "/head.json" : nil, clock: { t += 1000; return t })
        try trail.append("config-loaded", [("command", .string("tail")), ("webhooks", .int(1))])
        for i in 1...3 {
            try trail.append("alert-emitted", [("id", .string("a\(i)")), ("principal", .string("arn:aws:iam::1:user/\"x\"\n"))])
        }
        try trail.append("webhook-delivered", [("id", .string("a1")), ("attempts", .int(2))])
        let text = try String(contentsOfFile: dir + "/audit.log", encoding: .utf8)
        let key = try AuditVerifier.publicKey(fromText: String(contentsOfFile: dir + "/audit.pub", encoding: .utf8))
        return (dir, text, key)
    }

    @Test func anUntouchedTrail_verifies() throws {
        let t = try makeTrail()
        let r = AuditVerifier.verify(text: t.text, publicKey: t.key)
        #expect(r.entries == 5)
        #expect(r.problem == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: t.dir + "/audit.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func flippingAByte_namesThatEntry() throws {
        let t = try makeTrail()
        var lines = t.text.split(separator: "\n").map(String.init)
        lines[2] = lines[2].replacingOccurrences(of: "\"a2\"", with: "\"a9\"")
        let r = AuditVerifier.verify(text: lines.joined(separator: "\n") + "\n", publicKey: t.key)
        #expect(r.problem?.line == 3)
        #expect(r.problem?.reason.contains("edited") == true)
    }

    @Test func deletingALine_isFoundWhereTheChainBreaks() throws {
        let t = try makeTrail()
        var lines = t.text.split(separator: "\n").map(String.init)
        lines.remove(at: 1)
        let r = AuditVerifier.verify(text: lines.joined(separator: "\n") + "\n", publicKey: t.key)
        #expect(r.problem?.line == 2)
        #expect(r.entries == 1)
    }

    @Test func reorderingLines_isFound() throws {
        let t = try makeTrail()
        var lines = t.text.split(separator: "\n").map(String.init)
        lines.swapAt(2, 3)
        let r = AuditVerifier.verify(text: lines.joined(separator: "\n") + "\n", publicKey: t.key)
        #expect(r.problem?.line == 3)
    }

    @Test func aRehashedForgery_failsOnTheSignature() throws {
        // An attacker who edits a line and recomputes its hash (and the chain after it) still cannot sign.
        let t = try makeTrail()
        let lines = t.text.split(separator: "\n").map(String.init)
        let e = try #require(AuditEntry.parse(lines[0]))
        let forgedBody = e.body.replacingOccurrences(of: "\"tail\"", with: "\"replay\"")
        let forgedHash = SHA256.hash(data: Data(forgedBody.utf8)).map { String(format: "%02x", $0) }.joined()
        let forged = String(forgedBody.dropLast()) + ",\"hash\":\"\(forgedHash)\",\"sig\":\"\(e.sig)\"}"
        let r = AuditVerifier.verify(text: ([forged] + lines.dropFirst()).joined(separator: "\n") + "\n", publicKey: t.key)
        #expect(r.problem?.line == 1)
        #expect(r.problem?.reason.contains("signature") == true)
    }

    @Test func anotherKey_doesNotVerify() throws {
        let t = try makeTrail()
        let r = AuditVerifier.verify(text: t.text, publicKey: Curve25519.Signing.PrivateKey().publicKey)
        #expect(r.problem?.line == 1)
    }

    @Test func aCutOffTail_isFoundAgainstTheChainHead() throws {
        let t = try makeTrail(head: true)
        let head = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: t.dir + "/head.json"))) as! [String: Any]
        #expect(head["seq"] as? Int == 5)
        let lines = t.text.split(separator: "\n").map(String.init)
        let cut = lines.prefix(3).joined(separator: "\n") + "\n"
        #expect(AuditVerifier.verify(text: cut, publicKey: t.key).problem == nil)     // alone, a prefix is a valid chain
        let r = AuditVerifier.verify(text: cut, publicKey: t.key, head: (5, head["hash"] as! String))
        #expect(r.problem?.reason.contains("cut off") == true)
    }

    @Test func reopening_continuesTheChain_andRecoversFromAPartialLastLine() throws {
        let t = try makeTrail()
        let h = FileHandle(forWritingAtPath: t.dir + "/audit.log")!
        h.seekToEndOfFile()
        h.write(Data("{\"seq\":6,\"time\":\"2026".utf8))        // a crash mid-append
        try h.close()
        let trail = try AuditTrail(directory: t.dir)
        try trail.append("alert-emitted", [("id", .string("a4"))])
        let text = try String(contentsOfFile: t.dir + "/audit.log", encoding: .utf8)
        let r = AuditVerifier.verify(text: text, publicKey: t.key)
        #expect(r.problem == nil)
        #expect(r.entries == 7)
        #expect(text.contains("\"kind\":\"audit-recovered\""))
    }
}
