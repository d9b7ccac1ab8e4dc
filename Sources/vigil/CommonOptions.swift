import ArgumentParser
import Foundation
import VigilCore
import VigilDetection
import VigilParsing
import VigilPipeline
import VigilResponders
import VigilSources
import VigilState

/// Options shared by the commands that run the detection engine.
struct EngineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Input format: 'auto' (default) recognises each record by its fields, so directories and streams may mix formats; or one of cloudtrail, gcp-audit, azure-activity, azure-storage, entra, s3-access, mapped (with --mapping).", valueName: "format"))
    var format: String = "auto"

    @Option(help: ArgumentHelp("Field mapping for --format mapped: JSON naming the record path of time, principal, action and the rest (see Models/mapping-example.json).", valueName: "path"))
    var mapping: String?

    @Option(help: ArgumentHelp("Start from a model snapshot written by 'vigil train' (it keeps learning), or a model definition (JSON, see Models/default-model.json) that sets baseline, isolation and detector parameters.", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("Rules file (default: Models/rules.json found beside the binary's checkout or in the current directory, or $VIGIL_RULES).", valueName: "path"))
    var rules: String?

    @Option(help: ArgumentHelp("Cold-start priors: what each kind of call can do, used while a principal's baseline is young (default: Models/priors.json found as the rules file is, or $VIGIL_PRIORS; 'none' turns cold-start alerts off).", valueName: "path|none"))
    var priors: String?

    @Option(name: .customLong("aws-ranges"), help: ArgumentHelp("AWS's published address ranges, to tell an instance's own calls from its credentials used outside AWS: the compact copy Vigil ships (default: Models/aws-ip-ranges.txt found as the rules file is, or $VIGIL_AWS_RANGES), or a newer ip-ranges.json exactly as AWS publishes it; 'none' turns that check off.", valueName: "path|none"))
    var awsRanges: String?

    @Option(name: .customLong("dead-letter"), help: ArgumentHelp("Write records that cannot be used (with position and reason) to this JSONL file.", valueName: "path"))
    var deadLetter: String?

    @Option(help: ArgumentHelp("Write run counters (records, events, duplicates, late, dead_lettered, alerts, incidents, seconds, ...) as JSON to this file.", valueName: "path"))
    var stats: String?

    @Option(help: ArgumentHelp("Seed of the isolation forest (default 1; same seed and input, same alerts). A snapshot given with --model carries its own.", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Threads: 1 reads and detects on one thread; 2 or more decode, frame and parse archives on a second thread ahead of detection, and walk the isolation forest's trees on n − 1 helper threads beside it (at most one fewer than the processors online; a helper sleeps when no events come). Events are still decided one at a time, in order: alerts are identical for any n. (tail reads records as they arrive, on one thread.)", valueName: "n"))
    var threads: Int = 2

    @Option(name: .customLong("max-principals"), help: ArgumentHelp("Cap on principals tracked at once (default: the model's baseline.maxPrincipals, 200000). One cap over all per-principal state: live baselines (a tenth reserved for anonymous and unknown callers, so scrapers cannot evict real identities), their compact forms, and open findings. At the cap the least recently seen principal is evicted to a compact form and restored when it returns; counted in --stats.", valueName: "n"))
    var maxPrincipals: Int?

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp("Cap on the bytes of per-principal state, e.g. 512MiB or 2G: beyond it the least recently seen principals are evicted. Counted from Vigil's own structures, not the process size, so the same input gives the same alerts on any machine.", valueName: "size"))
    var memoryLimit: String?

    @Option(name: .customLong("reorder-window"), help: ArgumentHelp("How far inputs may be out of step in event time, e.g. 15m (default: the model's lateness, 15m: CloudTrail's delivery delay). Several inputs are merged by event time; a file is opened once the merge comes within this window of the time in its name (or of its first record), so a directory of thousands of objects keeps about one window's files open. A record further behind the newest one than this is still processed, and counted as late in --stats.", valueName: "duration"))
    var reorderWindow: String?

    @Flag(help: "Print nothing on stderr but errors.")
    var quiet = false

    /// The caps of `--max-principals` and `--memory-limit`, and `--reorder-window`.
    var caps: ConfigOverrides {
        ConfigOverrides(maxPrincipals: maxPrincipals, memoryLimit: memoryLimit.flatMap(ConfigOverrides.parseSize),
                        reorderWindow: reorderWindow.flatMap(EventTime.parseDuration))
    }

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1…64") }
        if let m = maxPrincipals, m < 10 { throw ValidationError("--max-principals must be at least 10") }
        if let l = memoryLimit {
            guard let bytes = ConfigOverrides.parseSize(l) else { throw ValidationError("--memory-limit \(l): give a size such as 512MiB or 2G") }
            guard bytes >= 1 << 20 else { throw ValidationError("--memory-limit must be at least 1MiB") }
        }
        if let w = reorderWindow, EventTime.parseDuration(w) == nil {
            throw ValidationError("--reorder-window \(w): give a duration such as 90s, 15m or 2h")
        }
        if format == "mapped" && mapping == nil { throw ValidationError("--format mapped needs --mapping PATH") }
        guard format == "auto" || SourceFormat(rawValue: format) != nil else {
            throw ValidationError("--format \(format) is not supported in this version (supported: auto, \(SourceFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// Builds an engine from the rules and, if given, the model snapshot; with a state directory
    /// that holds a checkpoint, restored from that instead (it carries the model it had learned).
    /// `extraRules`: rules loaded beside the rules file (Sigma).
    func makeEngine(session: StateSession? = nil, extraRules: [Rule] = []) throws -> Engine {
        var ruleSet = try RulesLocator.load(explicit: rules)
        ruleSet.rules += extraRules
        ruleSet.priors = try PriorsLocator.load(explicit: priors)
        ruleSet.awsRanges = try RangesLocator.load(explicit: awsRanges)
        if let cp = session?.restored {
            if model != nil && !quiet {
                printError("vigil: resuming from the checkpoint in \(session!.directory.path); --model \(model!) is not used")
            }
            var cp = cp
            caps.apply(to: &cp.model)
            do {
                return try Engine(rules: ruleSet, checkpoint: cp)
            } catch {
                throw Failure(code: Exit.state, message: "\(session!.directory.checkpointPath): cannot resume (\(error))")
            }
        }
        if let m = model, let def = FileManager.default.contents(atPath: m), def.first == UInt8(ascii: "{") {
            var cfg: EngineConfig
            do {
                cfg = try JSONDecoder().decode(EngineConfig.self, from: def)
            } catch {
                throw Failure.usage("\(m): not a usable model definition (\(error))")
            }
            if let s = seed { cfg.isolation.seed = s }
            caps.apply(to: &cfg)
            return try Engine(config: cfg, rules: ruleSet)
        }
        if let m = model {
            let bytes = try SnapshotFile.read(m)
            var snap: ModelSnapshot
            do {
                snap = try JSONDecoder().decode(ModelSnapshot.self, from: Data(bytes))
            } catch {
                throw Failure(code: Exit.state, message: "\(m): not a Vigil model snapshot (\(error))")
            }
            caps.apply(to: &snap)
            return try Engine(config: snap.config, rules: ruleSet, snapshot: snap)
        }
        var cfg = EngineConfig()
        cfg.isolation.seed = seed ?? 1
        caps.apply(to: &cfg)
        return try Engine(config: cfg, rules: ruleSet)
    }

    /// Runs the engine over `paths`, writing dead letters and stats as asked. With a state session,
    /// inputs finished before are skipped, a partly read one resumes, and checkpoints are written as
    /// the session says (and at the end, or when a signal asks to stop).
    /// `redact`: applied to each dead-letter line (`--redact pii`: their excerpts are raw records).
    /// `listing`: `--since`/`--until` and fetching for s3:// inputs (commands that take them).
    func run(_ engine: Engine, paths: [String], listing: ListingOptions? = nil, session: StateSession? = nil,
             redact: ((String) -> String)? = nil, emit: (Alert) throws -> Void) throws {
        let resolver = InputResolver()
        var inputs = try resolver.expand(paths, listing: listing)
        try configure(engine)
        let dl = try deadLetter.map { try session?.output(path: $0) ?? LineWriter(path: $0) }
        var resume: [String: ResumePoint] = [:]
        if let s = session {
            if inputs.contains(.stdin) { throw Failure.usage("--state cannot resume standard input: pass files or directories") }
            (inputs, resume) = s.plan(inputs)
            engine.afterItem = { item in
                s.note(item)
                if s.due { try s.save(engine) }
            }
            engine.stopRequested = { Signals.stopRequested }
        }
        resolver.prefetch(inputs)
        try engine.run(inputs, resume: resume, mergeFrontier: session?.mergeFrontier, emit: emit, deadLetter: { d in
            let line = d.jsonLine()
            try dl?.write(redact?(line) ?? line)
        })
        try dl?.flush()
        try session?.save(engine, wait: true)
        engine.noteSourceCounters(resolver.counters())
        try report(engine)
    }

    /// Format, mapping and threads onto the engine.
    func configure(_ engine: Engine) throws {
        engine.threads = threads
        engine.format = SourceFormat(rawValue: format)
        if let m = mapping {
            guard let data = FileManager.default.contents(atPath: m) else { throw Failure.usage("cannot read mapping file \(m)") }
            do {
                engine.mapping = try JSONDecoder().decode(FieldMapping.self, from: data)
            } catch {
                throw Failure.usage("\(m): not a usable mapping (\(error))")
            }
        }
    }

    /// Writes `--stats` and, unless quiet, the one-line summary on stderr.
    /// `source`: what the events came from, when not input files (a worker's shard).
    func report(_ engine: Engine, source: String? = nil) throws {
        if let s = stats {
            let w = try LineWriter(path: s)
            try w.write(engine.stats.jsonLine())
            try w.flush()
        }
        if !quiet {
            if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }   // clear a progress line
            let st = engine.stats
            var msg = "vigil: \(st.events) events from \(source ?? "\(st.inputs) input(s)"), \(st.alerts) alerts in \(st.incidents) incidents"
            if st.duplicates > 0 { msg += ", \(st.duplicates) duplicates skipped" }
            if st.deadLettered > 0 {
                msg += ", \(st.deadLettered) records dead-lettered" + (deadLetter == nil ? " (keep them with --dead-letter PATH)" : " (see \(deadLetter!))")
            }
            FileHandle.standardError.write(Data((msg + "\n").utf8))
        }
    }
}

/// Reads a data file under `Models/` found by ``ModelFile/locate(_:relative:env:)`` and decodes it;
/// every failure is a usage error naming the file (or, when none is found, `missing`).
enum ModelFileLoader {
    static func load<T>(_ explicit: String?, relative: String, env: String, missing: String,
                        decode: ([UInt8]) throws -> T) throws -> T {
        let path: String
        do {
            path = try ModelFile.locate(explicit, relative: relative, env: env)
        } catch {
            throw Failure.usage(missing)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure.usage("cannot read \(path)") }
        do {
            return try decode(Array(data))
        } catch {
            throw Failure.usage("\(path): \(error)")
        }
    }
}

/// Finds the rules file: explicit path, `$VIGIL_RULES`, `Models/rules.json` above the binary
/// (a checkout's `.build/...`), or in the current directory.
enum RulesLocator {
    static func load(explicit: String?) throws -> RuleSet {
        try ModelFileLoader.load(explicit, relative: "Models/rules.json", env: "VIGIL_RULES",
                                 missing: "no rules file found: pass --rules PATH or set VIGIL_RULES", decode: RuleSet.load(json:))
    }
}

/// Finds the cold-start priors as the rules file is found: `--priors PATH`, `$VIGIL_PRIORS`,
/// `Models/priors.json` installed or above the binary, or in the current directory. `none`: off.
enum PriorsLocator {
    static func load(explicit: String?) throws -> ActionPriors {
        if explicit == "none" { return .none }
        return try ModelFileLoader.load(explicit, relative: "Models/priors.json", env: "VIGIL_PRIORS",
                                        missing: "no cold-start priors found: pass --priors PATH (or --priors none) or set VIGIL_PRIORS",
                                        decode: ActionPriors.load(json:))
    }
}

/// Finds AWS's address ranges as the rules file is found: `--aws-ranges PATH`, `$VIGIL_AWS_RANGES`,
/// `Models/aws-ip-ranges.txt` installed or above the binary, or in the current directory. `none`: off.
enum RangesLocator {
    static func load(explicit: String?) throws -> AddressRanges? {
        if explicit == "none" { return nil }
        return try ModelFileLoader.load(explicit, relative: "Models/aws-ip-ranges.txt", env: "VIGIL_AWS_RANGES",
                                        missing: "no AWS address ranges found: pass --aws-ranges PATH (or --aws-ranges none) or set VIGIL_AWS_RANGES",
                                        decode: AddressRanges.parse)
    }
}

/// Where alerts go: `--alerts PATH|-` and `--output jsonl|text`.
struct AlertOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write alerts to this file ('-' for stdout).", valueName: "path|-"))
    var alerts: String?

    @Option(help: ArgumentHelp("Alert format on the way out: 'jsonl' (vigil.alert/1, one object per line) or 'text' (for people).", valueName: "jsonl|text"))
    var output: String = "jsonl"

    func validate() throws {
        guard ["jsonl", "text"].contains(output) else { throw ValidationError("--output must be jsonl or text") }
    }

    func writer(defaultStdout: Bool, session: StateSession? = nil) throws -> LineWriter? {
        if let a = alerts { return try session?.output(path: a) ?? LineWriter(path: a) }
        return defaultStdout ? try LineWriter(path: "-") : nil
    }

    func render(_ a: Alert) -> String {
        output == "text" ? AlertText.render(a) : a.jsonLine()
    }
}

/// `--state DIR` and how often it is checkpointed.
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("State directory: checkpoints (model, detector, reading positions, output lengths) so that a restarted run resumes where it stopped, with --alerts FILE exactly-once. One Vigil per directory.", valueName: "dir"))
    var state: String?

    @Option(name: .customLong("checkpoint-every"), help: ArgumentHelp("Checkpoint after this many records (with --state).", valueName: "n"))
    var checkpointEvery = 50_000

    @Option(name: .customLong("checkpoint-seconds"), help: ArgumentHelp("Checkpoint at least this often while records arrive (with --state; wall clock, it never changes what is detected).", valueName: "s"))
    var checkpointSeconds = 5.0

    func validate() throws {
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1") }
        guard checkpointSeconds > 0 else { throw ValidationError("--checkpoint-seconds must be positive") }
    }

    /// Opens and locks the state directory (nil without --state).
    func open() throws -> StateSession? {
        guard let dir = state else { return nil }
        let s = try StateSession(path: dir)
        for w in s.warnings { printError("vigil: checkpoint: \(w)") }
        s.onCutBack = { path, bytes in
            printError("vigil: resuming: cut \(bytes) bytes written after the last checkpoint from \(path); they are written again")
        }
        s.everyEvents = checkpointEvery
        s.everySeconds = checkpointSeconds
        return s
    }
}
