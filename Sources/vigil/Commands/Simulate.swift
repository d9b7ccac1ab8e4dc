import ArgumentParser
import Foundation
import VigilCore
import VigilSimulation
import VigilState

/// `vigil simulate`: write a realistic organisation's CloudTrail with labelled attacks.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate realistic CloudTrail for a simulated organisation, with labelled attacks.",
        discussion: """
        Writes DIR/logs/cloudtrail.jsonl.zst (time-ordered CloudTrail JSON lines) — with --cloud also gcp-audit.jsonl.zst, azure.jsonl.zst and s3-access.log.zst — and DIR/labels.csv (eventID,label,scenario). People keep office hours in their time zones; CI and service roles run around the clock; a few users are dormant. Eleven AWS attack scenarios (stolen key, enumeration, S3 mass download, logging disabled, backdoor user/role/Lambda, snapshot sharing, secrets dump, password-data harvest, dormant-account revival), plus three each for GCP (service-account key, bucket made public, log sink deleted) and Azure (storage keys listed then drained, diagnostics deleted, disk exported) and one seen only in S3 access logs, are interleaved with benign surprises (a new hire, a CI release burst, a traveller, a key rotation). Same seed, same bytes.

        Example:
          vigil simulate --days 7 --principals 150 --seed 42 --cloud aws,gcp,azure --out SampleLogs
          vigil eval --labels SampleLogs/labels.csv SampleLogs/logs
        """
    )

    @Option(help: "Days of activity (4…90).")
    var days: Int = 7

    @Option(help: "Principals in the organisation (40…5000).")
    var principals: Int = 150

    @Option(help: "Random seed; the same seed gives byte-identical logs.")
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Clouds to simulate, comma-separated: aws (CloudTrail), gcp (Cloud Audit Logs), azure (Activity Log, Entra sign-ins, Storage blob logs). Adding any other cloud also writes S3 server access logs.", valueName: "aws,gcp,azure"))
    var cloud: String = "aws"

    @Option(name: .customLong("scenario"), help: ArgumentHelp("Add a scenario beyond the default set (repeatable): shared-ci-key (an intruder on a Terraform user's key and network, after its own risky apply), instance-credentials-vpc-endpoint, instance-credentials-no-history (an EC2 instance's credentials used from outside AWS), bedrock-hijack (LLMjacking), ssm-command-by-user. Each step is labelled NAME:STEP.", valueName: "name"))
    var scenarios: [String] = []

    @Flag(name: .customLong("no-scenario-attacks"), help: "With --scenario: only the routine of the scenarios' principals, no attack (what must not alert).")
    var noScenarioAttacks = false

    @Option(help: ArgumentHelp("Directory to write into (created if missing).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Write counters (events, principals, scenarios, attack_events, seconds) as JSON to this file.", valueName: "path"))
    var stats: String?

    @Flag(help: "Print nothing on stderr but errors.")
    var quiet = false

    func validate() throws {
        let clouds = Set(cloud.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard clouds.contains("aws"), clouds.isSubset(of: ["aws", "gcp", "azure"]) else {
            throw ValidationError("--cloud takes aws, gcp, azure (aws included), comma-separated")
        }
        var c = SimulationConfig(days: days, principals: principals, seed: seed)
        c.extraScenarios = scenarios
        do { try c.validate() } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        let started = Date()
        var config = SimulationConfig(days: days, principals: principals, seed: seed)
        config.clouds = Set(cloud.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        config.extraScenarios = scenarios
        config.extraAttacks = !noScenarioAttacks
        var sim = Simulator(config: config)
        let output = sim.run()
        do {
            try FileManager.default.createDirectory(atPath: out + "/logs", withIntermediateDirectories: true)
        } catch {
            throw Failure.usage("cannot create \(out)/logs: \(error.localizedDescription)")
        }
        for (name, lines) in [("cloudtrail.jsonl", output.lines)] + output.streams {
            var text = ""
            text.reserveCapacity(lines.count * 900)
            for l in lines { text += l; text += "\n" }
            try SnapshotFile.write(Array(text.utf8), to: out + "/logs/" + name + ".zst", level: 19)
        }
        guard FileManager.default.createFile(atPath: out + "/labels.csv", contents: Data(output.labelsCSV.utf8)) else {
            throw Failure.usage("cannot write \(out)/labels.csv")
        }
        if let p = stats {
            let line = "{\"events\":\(output.lines.count + output.streams.reduce(0) { $0 + $1.lines.count }),\"principals\":\(output.principals),\"scenarios\":\(output.scenarios.count),\"attack_events\":\(output.attackEvents),\"seconds\":\(JSONText.fixed(Date().timeIntervalSince(started), digits: 3))}\n"
            guard FileManager.default.createFile(atPath: p, contents: Data(line.utf8)) else { throw Failure.usage("cannot write \(p)") }
        }
        if !quiet {
            FileHandle.standardError.write(Data("vigil: \(output.lines.count + output.streams.reduce(0) { $0 + $1.lines.count }) events, \(output.principals) AWS principals, \(output.scenarios.count) attack scenarios (\(output.attackEvents) attack events) in \(out)\n".utf8))
        }
    }
}
