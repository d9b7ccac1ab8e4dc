import VigilCore

/// What to simulate.
public struct SimulationConfig: Sendable {
    public var days: Int
    public var principals: Int
    public var seed: UInt64
    /// Clouds to simulate: `aws` always; `gcp` and `azure` add their streams (and S3 access logs).
    public var clouds: Set<String> = ["aws"]
    /// First day, midnight UTC (ms). Default: Monday 2026-11-02.
    public var start: Int64 = EventTime.parse("2026-11-02T00:00:00Z")!
    /// Scenarios beyond the default set (``Simulator/extraScenarioNames``), by name.
    public var extraScenarios: [String] = []
    /// With false, the extra scenarios' principals go about their routine and no attack happens.
    public var extraAttacks = true

    public init(days: Int = 7, principals: Int = 150, seed: UInt64 = 42) {
        self.days = days
        self.principals = principals
        self.seed = seed
    }

    public func validate() throws {
        guard days >= 4, days <= 90 else { throw ConfigError.invalid("--days must be 4…90 (attacks need a few days of history)") }
        guard principals >= 40, principals <= 5000 else { throw ConfigError.invalid("--principals must be 40…5000") }
        for n in extraScenarios where !Simulator.extraScenarioNames.contains(n) {
            throw ConfigError.invalid("--scenario \(n) is not one of \(Simulator.extraScenarioNames.joined(separator: ", "))")
        }
    }
}

/// The generated logs: time-ordered CloudTrail JSON lines and the labels CSV.
public struct SimulationOutput: Sendable {
    /// CloudTrail lines (the AWS stream).
    public var lines: [String]
    /// Other streams by file name (`gcp-audit.jsonl`, `azure.jsonl`, `s3-access.log`), time-ordered.
    public var streams: [(name: String, lines: [String])] = []
    public var labelsCSV: String
    public var attackEvents: Int
    public var scenarios: [String]
    public var principals: Int
}

/// One generated record before ordering.
struct SimEvent {
    var time: Int64
    var seq: Int
    var json: String
    var id: String
    var label: String?     // "attack" or "benign" for labelled rows
    var scenario: String
    /// The output file the record belongs to (`cloudtrail.jsonl` for the AWS stream).
    var stream = "cloudtrail.jsonl"
}

/// Generates a simulated organisation's CloudTrail. See the target overview.
public struct Simulator {
    public let config: SimulationConfig
    var rng: SimRandom
    var org: Organisation
    var catalog: Catalog
    var events: [SimEvent] = []
    var actors: [Actor] = []
    /// Records of the other clouds, and their own random stream (see Simulator+Clouds).
    var cloud: [SimEvent] = []
    var crng: SimRandom
    /// Roles worked through by sessions (Simulator+Roles), counted as principals too.
    var sessionRoles: Set<String> = []

    public init(config: SimulationConfig) {
        self.config = config
        var r = SimRandom(seed: config.seed)
        org = Organisation(rng: &r)
        catalog = Catalog(org: org)
        rng = r
        crng = SimRandom(seed: config.seed ^ 0xC10D_5EED)
    }

    public mutating func run() -> SimulationOutput {
        buildActors()
        for a in actors { simulateBenign(a) }
        benignSurprises()
        attacks()
        roleActivity()
        if config.clouds.contains("gcp") { gcpActivity() }
        if config.clouds.contains("azure") { azureActivity() }
        if config.clouds.count > 1 { s3AccessActivity() }
        extraScenarios()
        events.sort { $0.time != $1.time ? $0.time < $1.time : $0.seq < $1.seq }
        cloud.sort { $0.time != $1.time ? $0.time < $1.time : $0.seq < $1.seq }
        var csv = "eventID,label,scenario\n"
        var attackCount = 0
        var scenarios = Set<String>()
        for e in events + cloud where e.label != nil {
            csv += "\(e.id),\(e.label!),\(e.scenario)\n"
            if e.label == "attack" { attackCount += 1; scenarios.insert(e.scenario) }
        }
        let keys = Set(actors.map(\.principalKey)).union(sessionRoles)
        var out = SimulationOutput(lines: events.map(\.json), labelsCSV: csv, attackEvents: attackCount,
                                   scenarios: scenarios.sorted(), principals: keys.count)
        for name in Set(cloud.map(\.stream)).sorted() {
            out.streams.append((name, cloud.filter { $0.stream == name }.map(\.json)))
        }
        return out
    }

    /// Renders and records one call.
    mutating func emit(_ a: Actor, _ c: Call, at t: Int64, ip: String? = nil, ua: String? = nil, region: String? = nil,
                       label: String? = nil, scenario: String = "") {
        let id = rng.uuid()
        let json = RecordWriter.render(c, actor: a, time: t, ip: ip ?? rng.pick(a.ips), userAgent: ua ?? a.userAgent,
                                       region: region ?? a.regions[0], eventID: id, requestID: rng.upperAlnum(16))
        events.append(SimEvent(time: t, seq: events.count, json: json, id: id, label: label, scenario: scenario))
    }

    func day(_ d: Int) -> Int64 { config.start + Int64(d) * EventTime.day }
}
