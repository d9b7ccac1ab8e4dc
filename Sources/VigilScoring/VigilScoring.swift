/// # VigilScoring
///
/// A streaming isolation forest: points that are easy to isolate with random axis-parallel cuts are
/// anomalies. ``IsolationForest`` keeps a ring of recent points and rebuilds one tree at a time on a
/// fresh random sample of it, so the model follows the stream at constant amortised cost per point
/// and never stalls for a full rebuild. It scores in [0, 1] (0.5 ≈ ordinary) and attributes each
/// score to the features whose cuts isolated the point.
///
/// ```swift
/// var forest = IsolationForest(dimensions: 13, config: IsolationConfig(seed: 7))
/// let s = forest.score(x)           // score first …
/// forest.learn(x)                   // … then learn, so a point never explains itself away
/// let why = forest.explain(x)       // (score, attribution) — attribution sums to 1
/// ```
public enum VigilScoring {}
