/// The behavioural features a baseline computes for each event, in vector order.
///
/// Each is *relative to the principal's own past* where that makes sense, so one isolation model
/// serves humans, CI roles and services alike. The raw value and the principal's baseline travel
/// beside the vector (``FeatureVector/raw`` and ``FeatureVector/baseline``) so reasons can be
/// written in plain words.
public enum Feature: Int, Sendable, CaseIterable, Codable {
    /// log2 of (events in the short window + 1) over (what the principal's history predicts + 1).
    case burst
    /// log2 ratio of the decayed one-hour event count to the principal's usual one.
    case longRate
    /// log2 ratio of distinct actions in the short window to the principal's usual number.
    case distinctActions
    /// log2 ratio of distinct resources in the short window to the principal's usual number.
    case distinctResources
    /// log2 ratio of bytes sent out in the short window to the principal's usual amount.
    case bytesOut
    /// Share of failed/denied calls in the short window above the principal's usual share.
    case errorRatio
    /// 1 when the principal has not used this action before (within the memory of its baseline).
    case newAction
    /// 1 when the source network (/24, /48 or AWS service) is new for the principal.
    case newNetwork
    /// 1 when the user-agent family is new for the principal.
    case newUserAgent
    /// 1 when the region is new for the principal.
    case newRegion
    /// How unusual the hour of day is for the principal, 0 (its busiest hour) … 1 (never seen).
    case hourRarity
    /// log2(1 + days since the principal's previous event), capped at 10: dormant accounts waking.
    case dormancy
    /// Sensitivity of the action, 0 (harmless read) … 1 (disables logging, destroys keys).
    case sensitivity

    public static let count = Feature.allCases.count

    /// Stable name used in alert reasons and stats.
    public var name: String {
        switch self {
        case .burst: return "rate_burst"
        case .longRate: return "rate_long"
        case .distinctActions: return "distinct_actions"
        case .distinctResources: return "distinct_resources"
        case .bytesOut: return "bytes_out"
        case .errorRatio: return "error_ratio"
        case .newAction: return "new_action"
        case .newNetwork: return "new_network"
        case .newUserAgent: return "new_user_agent"
        case .newRegion: return "new_region"
        case .hourRarity: return "hour_rarity"
        case .dormancy: return "dormancy"
        case .sensitivity: return "action_sensitivity"
        }
    }
}

/// The baseline's view of one event: features for the scorer plus the plain numbers behind them.
public struct FeatureVector: Sendable {
    /// Feature values in ``Feature`` order; what the scorer sees.
    public var values: [Double]
    /// The observed quantity behind each feature (e.g. 34 calls, 2.1 GB, hour 3).
    public var raw: [Double]
    /// What the principal's past says that quantity usually is.
    public var baseline: [Double]
    /// Plain-words context the explainer uses.
    public var context: EventContext

    public init() {
        values = Array(repeating: 0, count: Feature.count)
        raw = Array(repeating: 0, count: Feature.count)
        baseline = Array(repeating: 0, count: Feature.count)
        context = EventContext()
    }

    public subscript(_ f: Feature) -> Double {
        get { values[f.rawValue] }
        set { values[f.rawValue] = newValue }
    }
}

/// Facts about the event relative to its principal's history, for reasons and cold-start damping.
public struct EventContext: Sendable {
    /// Events the principal had before this one (decayed history not counted: plain count).
    public var priorEvents: Int = 0
    /// Events already learned into the principal's baseline (held ones excluded).
    public var learnedEvents: Int = 0
    /// Event time of the principal's first event seen.
    public var firstSeen: Int64 = 0
    /// Event time of the principal's previous event, or nil when this is the first.
    public var previousEvent: Int64?
    /// When the principal last used this action before this event (nil: never, within memory).
    public var actionLastSeen: Int64?
    /// Calls of this action by this principal in the short window, this one included.
    public var actionCountInWindow: Int = 0
    /// Events of the principal in the short window, this one included.
    public var windowEvents: Int = 0
    /// The short window's length in ms.
    public var windowLength: Int64 = 0
    /// The event's source address, as the record gave it.
    public var sourceAddress: String?
    private var networkGiven: String?
    /// The principal's source network key (e.g. `203.0.113.0/24`) for this event: coarsened from
    /// `sourceAddress` when an explanation asks for it, not per event (or as set).
    public var network: String {
        get { networkGiven ?? AttributeKeys.network(sourceAddress) }
        set { networkGiven = newValue }
    }

    public init() {}
}
