import Foundation
import Testing
import VigilCore
@testable import VigilDetection
import VigilParsing
import VigilTestSupport
@testable import VigilSigma

/// The Sigma specification's value, modifier and condition semantics, checked on a real CloudTrail
/// record from the Panther fixtures (an IAM user updating a Lambda function with a layer).
@Suite struct SigmaLoaderTests {
    static let logsources: SigmaLogsources = {
        let data = FileManager.default.contents(atPath: TestSupport.packageRoot + "/Models/sigma/logsources.json")!
        return try! SigmaLogsources.load(json: data)
    }()

    static let lambdaRecord: [UInt8] = {
        let line = try! TestSupport.fixture("aws_cloudtrail.rule_tests.jsonl").first {
            (($0["log"] as? [String: Any])?["eventName"] as? String) == "UpdateFunctionConfiguration20150331v2"
        }!
        return Array(try! JSONSerialization.data(withJSONObject: line["log"]!))
    }()

    static func rule(_ detection: String, status: String = "test", logsource: String = "product: aws\n    service: cloudtrail",
                     filter: SigmaFilter = SigmaFilter(statuses: nil)) -> SigmaOutcome {
        let yaml = """
        title: Test rule
        id: 00000000-0000-0000-0000-000000000001
        status: \(status)
        author: Vigil tests
        tags:
            - attack.persistence
            - attack.t1078.004
        logsource:
            \(logsource)
        detection:
        \(detection)
        level: high
        """
        return SigmaLoader(logsources: logsources, filter: filter).load(path: "test.yml", yaml: yaml)
    }

    static func holds(_ detection: String) throws -> Bool {
        guard case .loaded(let r) = rule(detection) else {
            Issue.record("not loaded: \(rule(detection))")
            return false
        }
        var rec = SigmaRecord(raw: lambdaRecord)
        return r.holds(&rec)
    }

    @Test(arguments: [
        ("    sel:\n        eventName: 'updatefunctionconfiguration20150331v2'\n    condition: sel", true),
        ("    sel:\n        eventName|cased: 'updatefunctionconfiguration20150331v2'\n    condition: sel", false),
        ("    sel:\n        userAgent|contains: 'PYTHON/3'\n    condition: sel", true),
        ("    sel:\n        userAgent|contains: 'python/2'\n    condition: sel", false),
        ("    sel:\n        userAgent|startswith: 'aws-cli'\n    condition: sel", true),
        ("    sel:\n        userAgent|endswith: '3.11.4'\n    condition: sel", true),
        ("    sel:\n        userAgent|endswith: '3.11'\n    condition: sel", false),
        ("    sel:\n        eventName|contains|all: ['Update', 'Configuration']\n    condition: sel", true),
        ("    sel:\n        eventName|contains|all: ['Update', 'Delete']\n    condition: sel", false),
        ("    sel:\n        eventName: ['DeleteTrail', 'UpdateFunction*']\n    condition: sel", true),
        ("    sel:\n        userIdentity.arn|re: ':user/john\\.'\n    condition: sel", true),
        ("    sel:\n        userIdentity.arn|re: 'JOHN'\n    condition: sel", false),
        ("    sel:\n        userIdentity.arn|re|i: 'JOHN'\n    condition: sel", true),
        ("    sel:\n        sourceIPAddress|cidr: '203.0.113.0/24'\n    condition: sel", true),
        ("    sel:\n        sourceIPAddress|cidr: ['10.0.0.0/8', '192.168.0.0/16']\n    condition: sel", false),
        ("    sel:\n        errorCode|exists: false\n    condition: sel", true),
        ("    sel:\n        errorCode|exists: true\n    condition: sel", false),
        ("    sel:\n        eventType|exists: true\n    condition: sel", true),
        ("    sel:\n        errorCode: null\n    condition: sel", true),
        ("    sel:\n        eventName: null\n    condition: sel", false),
        ("    sel:\n        responseElements.layers.arn|contains: 'malicious-layer'\n    condition: sel", true),
        ("    sel:\n        responseElements|contains: 'malicious-layer'\n    condition: sel", true),
        ("    sel:\n        readOnly: 'false'\n    condition: sel", true),
        ("    sel:\n        userIdentity.accountId: 123456789012\n    condition: sel", true),
        ("    sel:\n        recipientAccountId|fieldref: userIdentity.accountId\n    condition: sel", true),
        ("    sel:\n        userIdentity.userName|fieldref: userIdentity.accountId\n    condition: sel", false),
        ("    sel:\n        eventVersion|gt: 1\n    condition: sel", true),
        ("    sel:\n        eventVersion|lte: 1\n    condition: sel", false),
        ("    kw:\n        - 'MALICIOUS-layer'\n    condition: kw", true),
        ("    kw:\n        - 'nothing-like-this'\n    condition: kw", false),
    ])
    func modifier(_ detection: String, _ expected: Bool) throws {
        #expect(try Self.holds(detection) == expected, "\(detection)")
    }

    static let conditionSelections = """
        selection_a:
            eventSource: lambda.amazonaws.com
        selection_b:
            eventName: DeleteTrail
        filter:
            userIdentity.type: Root
        list_of_maps:
            - eventName: DeleteTrail
            - userIdentity.type: IAMUser
    """

    @Test(arguments: [
        ("selection_a and not filter", true),
        ("selection_a and selection_b", false),
        ("1 of selection_*", true),
        ("all of selection_*", false),
        ("all of them", false),
        ("1 of them", true),
        ("(selection_b or filter) and selection_a", false),
        ("not (selection_b or filter)", true),
        ("list_of_maps", true),
        ("selection_a AND NOT selection_b", true),
    ])
    func condition(_ condition: String, _ expected: Bool) throws {
        #expect(try Self.holds(Self.conditionSelections + "\n    condition: " + condition) == expected, "\(condition)")
    }

    @Test func tagsAndLevel_becomeTechniquesAndSeverity() {
        guard case .loaded(let r) = Self.rule("    sel:\n        eventName: X\n    condition: sel") else { Issue.record("not loaded"); return }
        #expect(r.attack == ["T1078.004"])
        #expect(r.level == .high)
        #expect(r.eventNames == ["x"])
        #expect(Rule(sigma: r).id == "sigma:00000000-0000-0000-0000-000000000001")
    }

    @Test func eventNameIndex_onlyWhenEveryMatchNeedsOne() {
        guard case .loaded(let a) = Self.rule("    a:\n        eventName: A\n    b:\n        eventName: [B, C]\n    condition: a or b"),
              case .loaded(let b) = Self.rule("    a:\n        eventName: A\n    b:\n        userAgent: x\n    condition: a or b"),
              case .loaded(let c) = Self.rule("    a:\n        eventName: A*\n    condition: a"),
              case .loaded(let d) = Self.rule("    a:\n        userIdentity.type: Root\n    f:\n        eventType: X\n    condition: a and not f")
        else { Issue.record("not loaded"); return }
        #expect(a.eventNames == ["a", "b", "c"])
        #expect(b.eventNames == nil)
        #expect(c.eventNames == nil)
        #expect(d.eventNames == nil && d.principalTypes == ["root"])
    }

    @Test(arguments: [
        ("    sel: [unclosed\n    condition: sel", "not valid YAML"),
        ("    sel:\n        eventName|expand: '%x%'\n    condition: sel", "modifier 'expand'"),
        ("    sel:\n        eventName: X\n    timeframe: 5m\n    condition: sel", "timeframe"),
        ("    sel:\n        eventName: X\n    condition: sel | count() > 5", "aggregation"),
        ("    sel:\n        eventName: X\n    condition: sel and other", "no selection named 'other'"),
        ("    sel:\n        sourceIPAddress|cidr: 'not-a-network'\n    condition: sel", "not a CIDR"),
        ("    sel:\n        userAgent|re: '(['\n    condition: sel", "does not compile"),
    ])
    func refusal_saysWhy(_ detection: String, _ why: String) {
        guard case .refused(let r) = Self.rule(detection) else { Issue.record("expected a refusal for \(detection)"); return }
        #expect(r.reason.contains(why), "\(r.reason)")
        #expect(r.path == "test.yml")
    }

    @Test func correlationAndMultiDocument_areRefused() {
        let loader = SigmaLoader(logsources: Self.logsources)
        guard case .refused(let a) = loader.load(path: "c.yml", yaml: "title: c\nid: x\ncorrelation:\n  type: event_count\n") else { Issue.record("correlation"); return }
        #expect(a.reason.contains("correlation"))
        guard case .refused(let b) = loader.load(path: "m.yml", yaml: "title: a\n---\ntitle: b\n") else { Issue.record("multi"); return }
        #expect(b.reason.contains("2 YAML documents"))
    }

    @Test func logsourceWithoutRecords_isNoSource() {
        guard case .noSource(_, _, let ls) = Self.rule("    sel:\n        eventName: X\n    condition: sel",
                                                      logsource: "product: gcp\n    service: google_workspace.admin") else { Issue.record("no_source"); return }
        #expect(ls == "gcp/google_workspace.admin")
        guard case .noSource = Self.rule("    sel:\n        eventName: X\n    condition: sel", logsource: "product: okta\n    service: okta") else { Issue.record("okta"); return }
    }

    @Test func statusAndLevelFilters_areCountedNotDropped() {
        let byStatus = Self.rule("    sel:\n        eventName: X\n    condition: sel", status: "experimental", filter: SigmaFilter())
        guard case .filtered(_, _, let why) = byStatus else { Issue.record("status filter"); return }
        #expect(why == "status experimental")
        let byLevel = Self.rule("    sel:\n        eventName: X\n    condition: sel", filter: SigmaFilter(statuses: nil, minLevel: .critical))
        guard case .filtered = byLevel else { Issue.record("level filter"); return }
    }

    @Test func windashAndBase64offset() {
        let dashed = Set(SigmaValues.windash("cmd -enc /x"))
        #expect(dashed.count == 25)
        #expect(dashed.isSuperset(of: ["cmd -enc /x", "cmd /enc -x", "cmd \u{2013}enc \u{2014}x", "cmd \u{2015}enc \u{2015}x"]))
        let variants = SigmaValues.base64offset("powershell")
        for prefix in ["", "a", "ab"] {
            let encoded = Data((prefix + "powershell -x").utf8).base64EncodedString()
            #expect(variants.contains { encoded.contains($0) }, "offset \(prefix.count)")
        }
    }

    /// Every rule SigmaHQ ships for the clouds loads or is counted as having no records here.
    @Test func sharedSigmaRules_allLoadOrHaveNoSource() {
        let c = SigmaCatalog.load(paths: [TestSupport.shared + "/sigma/rules"], loader: SigmaLoader(logsources: Self.logsources, filter: SigmaFilter(statuses: nil)))
        #expect(c.refused.isEmpty, "\(c.refused)")
        #expect(c.rules.count + c.noSource.count == 206)
        #expect(c.rules.filter { $0.sources.contains { $0.format == .cloudtrail } }.count == 57)
        #expect(Set(c.rules.map(\.id)).count == c.rules.count)
    }

    /// The built-in rules plus SigmaHQ's "AWS CloudTrail Important Change" rule, and the fixture's
    /// successful StopLogging event (parsed with its raw record), which both fire on.
    static func stopLoggingSetup() throws -> (builtin: RuleSet, withSigma: RuleSet, event: AccessEvent) {
        let builtin = try RuleSet.load(json: TestSupport.read(TestSupport.packageRoot + "/Models/rules.json"))
        let c = SigmaCatalog.load(paths: [TestSupport.shared + "/sigma/rules/cloud/aws/cloudtrail/aws_cloudtrail_disable_logging.yml"],
                                  loader: SigmaLoader(logsources: logsources))
        #expect(c.rules.count == 1)
        let log = try TestSupport.fixture("aws_cloudtrail.rule_tests.jsonl").first {
            let l = $0["log"] as? [String: Any]
            return (l?["eventName"] as? String) == "StopLogging" && l?["errorCode"] == nil
        }!["log"]!
        let raw = Array(try JSONSerialization.data(withJSONObject: log))
        guard case .event(let e) = raw.withUnsafeBytes({ CloudTrailParser(keepAllRaw: true).parse($0, position: SourcePosition(input: "t", offset: 0, line: 1)) }) else {
            throw ConfigError.invalid("fixture did not parse")
        }
        return (builtin, RuleSet(rules: builtin.rules + c.vigilRules), e)
    }

    /// A built-in rule and a Sigma rule on the same event: two alerts, one incident.
    @Test func builtinAndSigma_onOneEvent_shareAnIncident() throws {
        let (_, ruleSet, e) = try Self.stopLoggingSetup()
        var detector = Detector(config: DetectorConfig(), rules: ruleSet)
        let d = detector.process(e, features: FeatureVector(), score: 0, attribution: [], windowIDs: { [] })
        let rules = d.alerts.compactMap(\.finding.rule)
        #expect(rules.contains("sigma:4db60cc0-36fb-42b7-9b58-a5b53019fb74"))
        #expect(rules.count >= 2)
        #expect(Set(d.alerts.map(\.incident)).count == 1)
        let sigma = d.alerts.first { $0.finding.rule?.hasPrefix("sigma:") == true }!
        #expect(sigma.finding.reasons[0].text.contains("eventName=StopLogging"))
        #expect(sigma.finding.reasons[0].text.contains("Detection Rule License"))
        #expect(sigma.finding.attack == ["T1685.002"])
    }

    /// A checkpoint taken while a Sigma rule had an open finding still restores after that rule is
    /// removed (its burst state is dropped); other open state stays.
    @Test func snapshot_restoresWithoutARemovedSigmaRule() throws {
        let (builtin, ruleSet, e) = try Self.stopLoggingSetup()
        var detector = Detector(config: DetectorConfig(), rules: ruleSet)
        _ = detector.process(e, features: FeatureVector(), score: 0, attribution: [], windowIDs: { [] })
        let snap = detector.snapshot()
        #expect(snap.bursts.contains { $0.rule.hasPrefix("sigma:") })
        let restored = try Detector(config: DetectorConfig(), rules: builtin, snapshot: snap)
        #expect(restored.snapshot().bursts.count == snap.bursts.count - 1)
        #expect(restored.counters == snap.counters)
    }
}
