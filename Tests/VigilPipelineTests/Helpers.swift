import Foundation
import VigilCore
import VigilDetection
import VigilPipeline
import VigilSources
import VigilTestSupport

/// Runs an engine over `inputs`, collecting alert lines and dead letters.
func runEngine(_ inputs: [Input], config: EngineConfig = EngineConfig(), rules: RuleSet? = nil,
               snapshot: ModelSnapshot? = nil) throws -> (alerts: [Alert], dead: [DeadLetter], stats: RunStats, engine: Engine) {
    let r = try rules ?? shippedRules()
    let engine = try Engine(config: config, rules: r, snapshot: snapshot)
    var alerts: [Alert] = []
    var dead: [DeadLetter] = []
    try engine.run(inputs, emit: { alerts.append($0) }, deadLetter: { dead.append($0) })
    return (alerts, dead, engine.stats, engine)
}

/// `Models/rules.json` with `Models/priors.json` and `Models/aws-ip-ranges.txt`, as the command line loads them.
func shippedRules() throws -> RuleSet {
    var r = try RuleSet.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/rules.json"))
    r.priors = try ActionPriors.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/priors.json"))
    r.awsRanges = try AddressRanges.parse(TestSupport.read(TestSupport.packageRoot + "/Models/aws-ip-ranges.txt"))
    return r
}

/// Writes `bytes` to a new file in `dir` and returns its path.
func write(_ bytes: [UInt8], _ name: String, in dir: String) -> String {
    let p = dir + "/" + name
    FileManager.default.createFile(atPath: p, contents: Data(bytes))
    return p
}
