import Testing
import VigilCore
@testable import VigilBaseline
import VigilTestSupport

/// The priors extend ActionSensitivity: what the feature calls critical or a secret read is at
/// least as weighty in `Models/priors.json`.
@Suite struct PriorsExtendSensitivityTests {
    @Test func everyCriticalAction_hasAHighPrior() throws {
        let priors = try ActionPriors.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/priors.json"))
        for a in ActionSensitivity.critical {
            #expect(priors.prior(a, readOnly: false).value >= 0.8, "\(a)")
        }
        for a in ActionSensitivity.secretReads {
            #expect(priors.prior(a, readOnly: true).value >= 0.7, "\(a)")
        }
    }
}
