/// # VigilBaseline
///
/// Per-principal behaviour over event time: a sliding short window (counts, distinct actions and
/// resources, bytes, errors), a decayed long window, exponentially weighted "usual" values, decaying
/// sets of known actions / networks / user agents / regions, an hour-of-day histogram and the time of
/// the last event. From these it computes one ``FeatureVector`` per event, relative to the
/// principal's own past.
///
/// ```swift
/// var baseline = Baseline(config: BaselineConfig())
/// let (features, lesson) = baseline.observe(event)
/// // ... score and detect ...
/// baseline.commit(lesson, held: score >= threshold)   // anomalous events wait before being learned
/// ```
///
/// Learning is poisoning-resistant: a held lesson is folded in only after `holdPeriod` of event time
/// in which its principal had no high or critical finding (``Baseline/markIncident(principal:at:)``).
public enum VigilBaseline {}
