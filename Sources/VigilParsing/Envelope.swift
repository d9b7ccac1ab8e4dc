import VigilCore

/// The audit record inside a forwarder's envelope, so logs shipped through a pipeline read like the
/// originals.
///
/// Why: CloudTrail rarely reaches a SIEM as it left AWS. EventBridge delivers it under `detail`
/// (`"detail-type": "AWS API Call via CloudTrail"`); Splunk's HTTP Event Collector format carries
/// it under `event`; an Elasticsearch or OpenSearch export (a search hit, `elasticdump`) under
/// `_source`; Fluent Bit, Vector and syslog relays as a JSON text under `message` or `log`. Each of
/// these is one record per envelope, so unwrapping is one step (never nested further), and it is
/// tried only on a record no parser could use as it was: a record that parses is never
/// second-guessed. Counted in `--stats` as `unwrapped`.
///
/// Cost: one pass over the envelope's top-level keys; the inner object is copied once (a JSON text
/// is decoded once).
public enum Envelope {
    /// Keys whose value is the record itself (an object), in the order they are preferred.
    static let objectKeys: [StaticString] = ["detail", "event", "_source"]
    /// Keys whose value is the record as JSON text.
    static let textKeys: [StaticString] = ["message", "log"]

    /// The bytes of the record inside `record`'s envelope; nil when `record` is not an object with
    /// exactly one such member holding a JSON object.
    public static func unwrap(_ record: UnsafeRawBufferPointer) -> [UInt8]? {
        var s = JSONScanner(record)
        var found: [UInt8]?
        var candidates = 0
        let ok = s.object { s, k in
            for key in objectKeys where s.keyIs(k, key) {
                s.skipWS()
                guard s.peek() == UInt8(ascii: "{") else { return s.skipValue() }
                let start = s.pos
                guard s.skipValue() else { return false }
                candidates += 1
                found = Array(UnsafeRawBufferPointer(rebasing: record[start..<s.pos]))
                return true
            }
            for key in textKeys where s.keyIs(k, key) {
                s.skipWS()
                guard s.peek() == UInt8(ascii: "\"") else { return s.skipValue() }
                guard let text = s.string() else { return false }
                let bytes = Array(text.utf8)
                guard let first = bytes.first(where: { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }), first == UInt8(ascii: "{") else { return true }
                candidates += 1
                found = bytes
                return true
            }
            return s.skipValue()
        }
        guard ok, candidates == 1 else { return nil }
        return found
    }
}
