import Foundation
import Testing
@testable import VigilResponders
import VigilTestSupport

@Suite struct QuarantinePolicyTests {
    @Test func allowlistPatterns_matchWithStars_andNothingElse() {
        #expect(Policy.glob("arn:aws:iam::*:user/breakglass-*", "arn:aws:iam::123456789012:user/breakglass-ops"))
        #expect(!Policy.glob("arn:aws:iam::*:user/breakglass-*", "arn:aws:iam::123456789012:user/ops-breakglass-x"))
        #expect(Policy.glob("arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/Admin"))
        #expect(!Policy.glob("arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/Admin2"))
    }

    @Test func commands_getValuesAsSingleArguments_andAreKilledAtTheirTimeout() throws {
        let dir = TestSupport.tempDir()
        let out = dir + "/args.txt"
        let script = dir + "/record.sh"
        try "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > \(out)\nprintf '%s' \"$VIGIL_PRINCIPAL\" >> \(out)\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o700)
        let evil = "x; touch \(dir)/pwned $(id) `id`"
        let r = CommandRunner.run([script, "quarantine", evil], environment: ["VIGIL_PRINCIPAL": evil], timeout: 10, logPath: nil)
        #expect(r.succeeded)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "[quarantine]\n[\(evil)]\n\(evil)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/pwned"))
        let start = Date()
        let slow = CommandRunner.run(["sleep", "30"], environment: [:], timeout: 0.3, logPath: nil)
        #expect(slow.timedOut && !slow.succeeded)
        #expect(Date().timeIntervalSince(start) < 10)
    }
}
