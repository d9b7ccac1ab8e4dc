/// # VigilCore
///
/// The small shared vocabulary every stage speaks: the normalized ``AccessEvent``, the
/// ``FeatureVector`` a baseline hands to the scorer, the ``Finding`` a detector raises and the
/// ``Alert`` responders write, plus event-time helpers and caps.
///
/// Stages import only this target, so each can be tested alone on byte arrays and event lists:
///
/// ```swift
/// let t = EventTime.parse("2024-05-01T03:12:09Z")!      // ms since the epoch
/// EventTime.format(t)                                    // "2024-05-01T03:12:09.000Z"
/// ```
public enum VigilCore {}
