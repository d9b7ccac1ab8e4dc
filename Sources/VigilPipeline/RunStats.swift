import VigilCore

/// Counters of one run, written by `--stats` (keys in the Contract's order, then extras).
public struct RunStats: Sendable {
    public var records = 0
    public var events = 0
    public var duplicates = 0
    public var late = 0
    public var deadLettered = 0
    public var alerts = 0
    public var incidents = 0
    public var seconds = 0.0
    public var bytes: Int64 = 0
    public var inputs = 0
    /// Most inputs the event-time merge held open at once (0: one input, read without merging).
    public var inputsOpenAtOnce = 0
    public var principals = 0
    public var deadLetterReasons: [String: Int] = [:]
    public var held = 0
    public var heldFolded = 0
    public var heldRejected = 0
    public var dedupeEvicted = 0
    /// Principals in compact form at the end, and the baseline's accounted bytes (live + compact).
    public var dormant = 0
    public var accountedBytes = 0
    /// What the principal caps did: evicted (of which anonymous, and for `memoryLimit`), kept in
    /// compact form, restored from it, compact forms dropped; detector entries pruned.
    public var principalsEvicted = 0
    public var anonymousEvicted = 0
    public var memoryEvictions = 0
    public var principalsCompacted = 0
    public var principalsRestored = 0
    public var dormantForgotten = 0
    public var detectorPruned = 0
    /// Info findings raised because feature distributions drifted.
    public var driftFindings = 0
    /// Log sources watched for silence, those beyond its cap (not watched), and compute credentials
    /// bound to a network.
    public var logSources = 0
    public var logSourcesUntracked = 0
    public var credentialsBound = 0
    /// Identity stitching: minted keys and actor role histories tracked, events given their actor
    /// through a minted key.
    public var credentialsMinted = 0
    public var actorsTracked = 0
    public var eventsStitched = 0
    /// Minted keys and actor histories dropped by credential expiry, actor memory or the caps.
    public var identityPruned = 0
    /// Anomaly alerts raised by cold-start priors (young principals' first high-impact calls).
    public var coldStartAlerts = 0
    /// Latest Kolmogorov–Smirnov statistic per feature (reference vs live window).
    public var driftKS: [(String, Double)] = []
    /// Records read by the one-pass fast path, and by the full parsers (other formats, escapes,
    /// non-ASCII, duplicate fields, pretty-printed and `Records` files when framed apart).
    public var parseFast = 0
    public var parseFull = 0
    /// Of those read by the full parsers: CloudTrail records whose time came from `@timestamp` (a
    /// SIEM export without `eventTime`), and records read from inside a forwarder's envelope.
    public var parseTimeFallback = 0
    public var parseUnwrapped = 0
    /// Alerts raised inside an open finding because they showed something new, update alerts of
    /// open incidents, and findings on failed calls (attempts).
    public var alertsNews = 0
    public var alertsUpdates = 0
    public var alertsAttempts = 0
    /// Counters of sources other than files, by name (`s3_objects_read`, …): set by the command
    /// that made those sources, written after the engine's own.
    public var sourceCounters: [(String, Int64)] = []
    /// The reader's symbol table (``SymbolTable``) at the end: values held, bytes they are
    /// accounted as, and times it filled up and started over.
    public var symbols = 0
    public var symbolBytes = 0
    public var symbolResets = 0
    /// Checkpoints written (`--state`): bases and deltas, principal records they held, seconds the
    /// detecting thread spent staging them, seconds the checkpoint thread spent writing them, and bytes on disk. Written only when there were any.
    public var checkpointBases = 0
    public var checkpointDeltas = 0
    public var checkpointRecords = 0
    public var checkpointStageSeconds = 0.0
    public var checkpointBytes = 0
    public var checkpointWriteSeconds = 0.0
    /// New bases the checkpoint thread made by folding a base and its deltas together.
    public var checkpointCompactions = 0

    public init() {}

    public func jsonLine() -> String {
        var o = "{\"records\":\(records),\"events\":\(events),\"duplicates\":\(duplicates),\"late\":\(late)"
        o += ",\"dead_lettered\":\(deadLettered),\"alerts\":\(alerts),\"incidents\":\(incidents)"
        o += ",\"seconds\":" + JSONText.fixed(seconds, digits: 3)
        o += ",\"events_per_s\":\(seconds > 0 ? Int(Double(events) / seconds) : 0),\"bytes\":\(bytes),\"inputs\":\(inputs),\"inputs_open_max\":\(inputsOpenAtOnce)"
        o += ",\"principals\":\(principals),\"held\":\(held),\"held_folded\":\(heldFolded),\"held_rejected\":\(heldRejected)"
        o += ",\"dedupe_evicted\":\(dedupeEvicted),\"dormant\":\(dormant),\"accounted_bytes\":\(accountedBytes)"
        o += ",\"principals_evicted\":\(principalsEvicted),\"anonymous_evicted\":\(anonymousEvicted),\"memory_evictions\":\(memoryEvictions)"
        o += ",\"principals_compacted\":\(principalsCompacted),\"principals_restored\":\(principalsRestored)"
        o += ",\"dormant_forgotten\":\(dormantForgotten),\"detector_pruned\":\(detectorPruned)"
        o += ",\"log_sources\":\(logSources),\"log_sources_untracked\":\(logSourcesUntracked),\"credentials_bound\":\(credentialsBound)"
        o += ",\"credentials_minted\":\(credentialsMinted),\"actors_tracked\":\(actorsTracked),\"events_stitched\":\(eventsStitched),\"identity_pruned\":\(identityPruned),\"cold_start_alerts\":\(coldStartAlerts)"
        o += ",\"parse_fast\":\(parseFast),\"parse_full\":\(parseFull),\"parse_time_fallback\":\(parseTimeFallback),\"parse_unwrapped\":\(parseUnwrapped)"
        o += ",\"alerts_news\":\(alertsNews),\"alerts_updates\":\(alertsUpdates),\"alerts_attempts\":\(alertsAttempts)"
        for (k, v) in sourceCounters { o += ",\(JSONText.quoted(k)):\(v)" }
        o += ",\"symbols\":\(symbols),\"symbol_bytes\":\(symbolBytes),\"symbol_resets\":\(symbolResets)"
        if checkpointBases + checkpointDeltas > 0 {
            o += ",\"checkpoint_bases\":\(checkpointBases),\"checkpoint_deltas\":\(checkpointDeltas),\"checkpoint_records\":\(checkpointRecords)"
            o += ",\"checkpoint_stage_seconds\":" + JSONText.fixed(checkpointStageSeconds, digits: 3)
            o += ",\"checkpoint_write_seconds\":" + JSONText.fixed(checkpointWriteSeconds, digits: 3) + ",\"checkpoint_bytes\":\(checkpointBytes)"
            o += ",\"checkpoint_compactions\":\(checkpointCompactions)"
        }
        o += ",\"drift_findings\":\(driftFindings),\"drift_ks\":{"
        o += driftKS.map { "\(JSONText.quoted($0.0)):" + JSONText.fixed($0.1, digits: 3) }.joined(separator: ",")
        o += "},\"dead_letter_reasons\":{"
        for (i, (k, v)) in deadLetterReasons.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { o += "," }
            JSONText.appendString(k, to: &o)
            o += ":\(v)"
        }
        return o + "}}"
    }
}
