/// # VigilDetection
///
/// Scores and curated rules become findings; findings of one principal close in time become one
/// incident; each finding becomes a `vigil.alert/1` ``Alert`` with reasons in plain words.
///
/// Rules are data (`Models/rules.json`): an action list, optional conditions on the raw record's
/// fields, an optional burst threshold, a severity and ATT&CK technique IDs.
///
/// ```swift
/// let rules = try RuleSet.load(json: data)
/// var detector = Detector(config: DetectorConfig(), rules: rules)
/// let alerts = detector.process(event, features: fv, score: s, attribution: a) { window IDs }
/// ```
public enum VigilDetection {}
