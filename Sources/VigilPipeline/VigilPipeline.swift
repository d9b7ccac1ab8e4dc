/// # VigilPipeline
///
/// Wires the stages: source → decoder → framer → parser → de-duplication → baseline → scorer →
/// detector → alert sink, with dead letters and counters beside the stream. The CLI only builds an
/// ``Engine`` and hands it inputs (replay), or a ``Tailer`` that follows them (tail). A
/// ``StateSession`` adds checkpoints: what was read, what was learned, what was emitted.
///
/// ```swift
/// let engine = try Engine(config: EngineConfig(), rules: rules)
/// try engine.run(InputPlanner.expand(["logs/"]), emit: { alert in print(alert.jsonLine()) },
///                deadLetter: { dl in print(dl.jsonLine()) })
/// print(engine.stats.jsonLine())
///
/// let session = try StateSession(path: "/var/lib/vigil")          // resumes from its checkpoint
/// let follower = try Follower(paths: ["/var/log/cloudtrail"]) { session.resolve(path: $0, fd: $1) }
/// try Tailer(engine: engine, follower: follower, session: session).run(emit: { _ in }, deadLetter: { _ in }, flush: {})
/// ```
public enum VigilPipeline {}
