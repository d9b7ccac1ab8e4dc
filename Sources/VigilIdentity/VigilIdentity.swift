/// Identity stitching: the stage between parsing and the baseline that follows temporary credentials
/// back to whoever minted them (``IdentityStitcher``), so every event and alert can name its
/// originating actor and the chain of roles in between.
///
/// Its state is a value (Codable, bounded, event time only) kept in the model snapshot, so a
/// restarted or resumed run stitches exactly as an uninterrupted one.
enum VigilIdentity {}
