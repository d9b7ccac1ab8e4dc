/// Scale-out on NATS JetStream (`vigil route`, `vigil worker`): the router reads, parses and stitches
/// identities for the whole organisation and publishes each event to its principal's shard; a
/// worker per shard runs baseline → scorer → detector → responders on that shard alone, in stream
/// order, and acknowledges only what a checkpoint covers. See docs/scale-out.md.
///
/// This target only wires `VigilPipeline`'s engine to `VigilNATS`'s client: no stage learns about
/// the network.
enum VigilCluster {}
