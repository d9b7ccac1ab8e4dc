/// # VigilPipeline
///
/// Wires the stages: source → decoder → framer → parser → de-duplication → baseline → scorer →
/// detector → alert sink, with dead letters and counters beside the stream. The CLI only builds an
/// ``Engine`` and hands it inputs.
///
/// ```swift
/// let engine = try Engine(config: EngineConfig(), rules: rules)
/// try engine.run(InputPlanner.expand(["logs/"]), emit: { alert in print(alert.jsonLine()) },
///                deadLetter: { dl in print(dl.jsonLine()) })
/// print(engine.stats.jsonLine())
/// ```
public enum VigilPipeline {}
