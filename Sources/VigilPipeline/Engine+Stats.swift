import VigilBaseline
import VigilCore
import VigilScoring

// What an engine reports about itself: live counts for a running tail's metrics, a principal's usual
// rate for `vigil report`, and the model's counters copied into `stats` at the end of a run.

extension Engine {
    /// What a running tail reports between passes (metrics): principals tracked, principals
    /// evicted so far, incidents open, and the newest event time (nil before the first event).
    /// O(incidents tracked); call it per pass, not per event.
    public func liveCounts() -> (principals: Int, evicted: Int, incidentsOpen: Int, newestEvent: Int64?) {
        let n = newest == Int64.min ? nil : newest
        return (baseline.principalCount, baseline.counters.principalsEvicted, n.map { detector.openIncidents(at: $0) } ?? 0, n)
    }

    /// The usual events per hour the baseline has learnt for `principal` (nil: none yet); read by
    /// `vigil report` from `onEvent`, so before the event is learnt.
    public func usualHourlyRate(of principal: String) -> Double? { baseline.usualHourlyRate(principal) }

    /// Adds wall time spent by a driver that reads by itself (`Tailer`) to `stats.seconds`.
    public func account(seconds: Double) { stats.seconds += seconds }

    /// Copies the model's counters into `stats` (end of a run, or before `--stats` is written).
    public func finishStats() {
        stats.incidents = detector.counters.incidents
        stats.principals = baseline.principalCount
        stats.held = baseline.counters.held
        stats.heldFolded = baseline.counters.heldFolded
        stats.heldRejected = baseline.counters.heldRejected
        stats.dedupeEvicted = deduper.evicted
        let b = baseline.counters
        stats.dormant = baseline.dormantCount
        stats.accountedBytes = baseline.accountedBytes
        stats.principalsEvicted = b.principalsEvicted
        stats.anonymousEvicted = b.anonymousEvicted
        stats.memoryEvictions = b.memoryEvictions
        stats.principalsCompacted = b.principalsCompacted
        stats.principalsRestored = b.principalsRestored
        stats.dormantForgotten = b.dormantForgotten
        stats.detectorPruned = detector.counters.pruned
        (stats.logSources, stats.logSourcesUntracked, stats.credentialsBound) = detector.watchCounts
        (stats.credentialsMinted, stats.actorsTracked) = stitcher.tracked
        stats.eventsStitched = stitcher.counters.stitched
        stats.identityPruned = stitcher.counters.pruned
        stats.coldStartAlerts = detector.counters.coldStart
        (stats.alertsNews, stats.alertsUpdates, stats.alertsAttempts) = (detector.counters.news, detector.counters.updates, detector.counters.attempts)
        stats.driftKS = Feature.allCases.map { ($0.name, drift.latest[$0.rawValue]) }
    }
}
