// libFuzzer harness for the CloudTrail parser and the rules that read raw records: arbitrary bytes
// as one record through CloudTrailParser (every event keeps its raw bytes) and the shipped rules'
// conditions. Any trap is a finding. Built by `make fuzz`; otherwise a reproducer over files.
import VigilCore
import VigilDetection
import VigilParsing
import VigilFuzzSupport

let fuzzRules: RuleSet? = FuzzSupport.readAll("Models/rules.json").flatMap { try? RuleSet.load(json: $0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCloudTrail(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let parser = CloudTrailParser(keepAllRaw: true)
    guard case .event(var e) = parser.parse(bytes, position: SourcePosition(input: "fuzz", offset: 0, line: 1)) else { return 0 }
    precondition(!e.principal.isEmpty && !e.action.isEmpty)
    _ = EventTime.format(e.time)
    if let rules = fuzzRules {
        var detector = Detector(config: DetectorConfig(), rules: rules)
        e.raw = Array(bytes)
        var fv = FeatureVector()
        fv.context.learnedEvents = 100
        let out = detector.process(e, features: fv, score: 0.5, attribution: Array(repeating: 0, count: Feature.count), windowIDs: { [] })
        for a in out.alerts { _ = a.jsonLine() }
    }
    return 0
}

