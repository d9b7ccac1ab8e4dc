/// # VigilNATS
///
/// A small NATS client on SwiftNIO for what Vigil's scale-out needs: publish (with headers),
/// subscribe, request/reply and keep-alive on the core protocol, and JetStream's streams, durable
/// pull consumers, acknowledged and deduplicated publishing, batch fetches and acknowledgements.
/// Blocking calls with timeouts, because Vigil's pipeline is synchronous; the socket work runs on
/// NIO's event loop.
///
/// ```swift
/// let nc = try NATSConnection.connect(try .init(url: "nats://127.0.0.1:4222"))
/// let js = JetStream(nc)
/// var events = JetStream.StreamConfig(name: "VIGIL_EVENTS", subjects: ["vigil.events.>"])
/// events.description = "vigil shards=2"
/// try js.ensureStream(events)
/// let ack = try js.publish("vigil.events.0", payload: bytes, msgID: eventID)   // ack.duplicate on a retry
/// try js.ensureConsumer(stream: "VIGIL_EVENTS", .init(durable: "worker-0"))
/// for m in try js.fetch(stream: "VIGIL_EVENTS", consumer: "worker-0", batch: 500, expires: 1) { … }
/// ```
///
/// A lost connection is re-established with backoff and its subscriptions sent again
/// (``NATSConnection``). Not yet: TLS (`tls://` is refused with a clear error), and the `route` and
/// `worker` commands that will use this (issue 15; design in `docs/scale-out.md`).
public enum VigilNATS {}
