import ArgumentParser
import Foundation
import VigilResponders

/// `vigil audit`: work with Vigil's signed audit trail.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check Vigil's signed audit trail.",
        subcommands: [Verify.self]
    )

    /// `vigil audit verify FILE --public-key K`.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify an audit trail's hash chain and Ed25519 signatures; name the first bad entry.",
            discussion: """
            Every action Vigil takes with --state (configuration loaded, alert emitted, webhook delivered or given up, quarantine planned, executed, released) is appended to STATE/audit.log, chained by SHA-256 and signed with the key in STATE/audit.key (its public half in STATE/audit.pub). Take the public key from a trusted copy, not from the machine being audited.

            Exit 0 when every entry verifies, 1 when one does not (the first bad entry is named), 2 for unusable arguments.

            Examples:
              vigil audit verify /var/lib/vigil/audit.log --public-key audit.pub
              vigil audit verify audit.log --public-key audit.pub --head shipped-head.json
            """
        )

        @Argument(help: ArgumentHelp("The audit log (STATE/audit.log).", valueName: "file"))
        var file: String

        @Option(name: .customLong("public-key"), help: ArgumentHelp("File holding the public key (base64 or hex of 32 bytes), e.g. a trusted copy of STATE/audit.pub.", valueName: "key"))
        var publicKey: String

        @Option(help: ArgumentHelp("A chain head written by --audit-head: also checks that no entries were cut off the end.", valueName: "path"))
        var head: String?

        func run() throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw Failure(code: Exit.input, message: "cannot read \(file)") }
            guard let keyText = try? String(contentsOfFile: publicKey, encoding: .utf8) else { throw Failure.usage("cannot read public key file \(publicKey)") }
            let key: Curve25519PublicKey
            do { key = try AuditVerifier.publicKey(fromText: keyText) } catch { throw Failure.usage("\(publicKey): \(error)") }
            var headValue: (Int, String)?
            if let h = head {
                guard let data = FileManager.default.contents(atPath: h),
                      let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let seq = obj["seq"] as? Int, let hash = obj["hash"] as? String else {
                    throw Failure.usage("\(h): not a chain head written by --audit-head")
                }
                headValue = (seq, hash)
            }
            let r = AuditVerifier.verify(text: text, publicKey: key, head: headValue)
            if let p = r.problem {
                print("FAILED: \(file): \(p) (\(r.entries) entries verified before it)")
                throw ExitCode(1)
            }
            print("OK: \(file): \(r.entries) entries, chain and signatures verify")
        }
    }
}
