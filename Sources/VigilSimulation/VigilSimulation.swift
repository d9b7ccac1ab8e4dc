/// # VigilSimulation
///
/// Generates a realistic organisation's CloudTrail with labelled attacks, for demos, evaluation and
/// tests. Deterministic for a seed. People keep office hours in their own time zones and work from
/// the office or home; CI and service roles run around the clock; a few users are dormant. Attack
/// scenarios follow public write-ups and the shapes of real detection-rule test events (Stratus Red
/// Team techniques): stolen keys used from new networks, enumeration bursts, S3 mass download,
/// logging disabled, backdoor users, roles and Lambda functions, snapshot sharing, secret dumps,
/// password-data harvesting and dormant-account revival. Benign surprises (a new hire, a CI deploy
/// burst, a traveller, a key rotation) are interleaved and labelled benign.
///
/// ```swift
/// let sim = Simulator(config: SimulationConfig(days: 7, principals: 150, seed: 42))
/// let output = sim.run()       // output.lines (time-ordered JSON lines), output.labels (CSV)
/// ```
public enum VigilSimulation {}
