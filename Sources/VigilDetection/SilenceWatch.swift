import VigilCore

/// Log sources that go quiet while the others go on: an attacker who stops a trail, deletes a sink
/// or breaks delivery in one account or region leaves a gap only there.
///
/// A source is (format, log account, region) for CloudTrail, the bucket for S3 access logs, the
/// project for GCP, the subscription for Azure Activity (tenant for Entra, storage account for
/// Azure Storage). Once it has at least 24 h and 50 events of history, the watermark (the newest
/// event time of all sources) passing its last event by more than max(k × its usual gap, 30 min)
/// raises one `silence` finding; the source's next event re-arms it. Event time only: replay and
/// tail agree. When every source stops, nothing moves the watermark: that is the lag metric's job.
///
/// The usual gap is Σg² / Σg over the source's gaps (decayed): the gap one meets at a random moment,
/// so a source that is busy by day and quiet at night has a usual gap of hours, not seconds, and its
/// nights are not silences; a source busy around the clock gets the 30-minute floor.
///
/// Cost per event: one hash of its source parts, one dictionary lookup, O(1) updates; the sources
/// are scanned only when the watermark passes the earliest deadline (`nextCheck`). Bounded by
/// `cap` sources (beyond it new sources are not watched; counted in `untracked`).
struct SilenceWatch: Codable, Sendable {
    struct Source: Codable, Sendable {
        var name: String
        var format: SourceFormat
        var first: Int64
        var last: Int64
        var lastID: String
        var count: Int
        /// Decayed Σg and Σg² of the gaps between its events (ms, ms²).
        var gaps: Double = 0
        var gaps2: Double = 0
        var silent = false

        var usualGap: Double { gaps > 0 ? gaps2 / gaps : 0 }
    }

    var sources: [UInt64: Source] = [:]
    var nextCheck: Int64 = Int64.max
    var untracked = 0
    static let cap = 10_000
    static let minHistory: Int64 = 24 * EventTime.hour
    static let minEvents = 50
    /// Weight kept per gap: a half-life of about 1,400 gaps.
    static let decay = 0.9995

    static let cloudtrailKey = StableHash.fnv1a(SourceFormat.cloudtrail.rawValue)

    /// The source of an event as a stable hash of its parts (no allocation on the per-event path).
    static func key(_ e: AccessEvent) -> UInt64 {
        let format = (e.source == .cloudtrail ? cloudtrailKey : StableHash.fnv1a(e.source.rawValue)) &* 31
        switch e.source {
        case .cloudtrail:
            // The region's key is the event's own (`fnv1a(region ?? "-")`).
            return format &+ StableHash.fnv1a(e.logAccount ?? e.account ?? "-") &* 17 &+ e.identity.region
        case .s3Access:
            return format &+ StableHash.fnv1a(bucket(e.resource))
        case .azureActivity:
            return format &+ StableHash.fnv1a(subscription(e.resource) ?? e.account ?? "-")
        default:
            return format &+ StableHash.fnv1a(e.account ?? "-")
        }
    }

    /// The source's name, built once when a source is first seen: `cloudtrail:<account>:<region>` …
    static func name(_ e: AccessEvent) -> String {
        let format = e.source.rawValue
        switch e.source {
        case .cloudtrail: return "\(format):\(e.logAccount ?? e.account ?? "-"):\(e.region ?? "-")"
        case .s3Access: return "\(format):\(bucket(e.resource))"
        case .azureActivity: return "\(format):\(subscription(e.resource) ?? e.account ?? "-")"
        default: return "\(format):\(e.account ?? "-")"
        }
    }

    /// `arn:aws:s3:::bucket/key` → `bucket`.
    static func bucket(_ resource: String?) -> String {
        guard let r = resource else { return "-" }
        let rest = r.hasPrefix("arn:aws:s3:::") ? r.dropFirst(13) : Substring(r)
        return String(rest.prefix { $0 != "/" })
    }

    /// `/subscriptions/<id>/…` → `<id>` (case-folded: Azure writes both cases).
    static func subscription(_ resource: String?) -> String? {
        guard let r = resource, let end = ASCIICase.find(subscriptionsPath, in: r, fold: true) else { return nil }
        let id = r.utf8.dropFirst(end).prefix { $0 != UInt8(ascii: "/") }
        return id.isEmpty ? nil : String(decoding: id.map(ASCIICase.lower), as: UTF8.self)
    }
    static let subscriptionsPath = Array("/subscriptions/".utf8)

    /// The silence limit of a source with enough history (nil: not yet watched).
    static func limit(_ s: Source, factor: Double, floor: Int64) -> Int64? {
        guard s.count >= minEvents, s.last - s.first >= minHistory, !s.silent else { return nil }
        return max(floor, Int64(factor * s.usualGap))
    }

    /// Notes `e` and returns the sources that `watermark` (after `e`) has left silent too long.
    mutating func observe(_ e: AccessEvent, watermark: Int64, factor: Double, floor: Int64) -> [(Source, Int64)] {
        let key = Self.key(e)
        if var s = sources[key] {
            if e.time >= s.last {
                let gap = Double(e.time - s.last)
                s.gaps = s.gaps * Self.decay + gap
                s.gaps2 = s.gaps2 * Self.decay + gap * gap
                s.last = e.time
                s.lastID = e.id
            }
            s.count += 1
            s.silent = false
            if let l = Self.limit(s, factor: factor, floor: floor) { nextCheck = min(nextCheck, s.last &+ l) }
            sources[key] = s
        } else if sources.count < Self.cap {
            sources[key] = Source(name: Self.name(e), format: e.source, first: e.time, last: e.time, lastID: e.id, count: 1)
        } else {
            untracked += 1
        }
        guard watermark > nextCheck else { return [] }
        // The watermark passed the earliest deadline: find the silent sources, then the next deadline.
        var silent: [(Source, Int64)] = []
        nextCheck = Int64.max
        for k in sources.keys.sorted() {
            guard let l = Self.limit(sources[k]!, factor: factor, floor: floor) else { continue }
            if watermark - sources[k]!.last > l {
                sources[k]!.silent = true
                silent.append((sources[k]!, l))
            } else {
                nextCheck = min(nextCheck, sources[k]!.last &+ l)
            }
        }
        return silent
    }
}
