import Foundation
import VigilCore
import VigilIdentity
import VigilNATS
import VigilParsing

/// The message that carries one event from the router to its shard's worker (wire version 1).
///
/// Payload: the record's raw bytes, exactly as framed from the input. Headers carry what the worker
/// cannot derive from the record alone:
///
/// | header | value |
/// |---|---|
/// | `Vigil-Event` | `1`, the wire version |
/// | `Vigil-Format` | the format the router recognised (`cloudtrail`, `s3-access`, …) |
/// | `Vigil-Position` | `<offset> <line> <input>`: where the record was read (evidence in alerts) |
/// | `Vigil-Actor` | JSON `{"arn":…,"chain":[…]}` (as alerts carry it): the stitched actor, when known |
/// | `Vigil-Reach` | JSON: the role reach that raises `actor-new-role`, when there is one |
///
/// Why the raw record and not the normalized event: the worker re-parses it with the same parser
/// and gets the same event (parsing is deterministic and stateless), rules and Sigma read raw fields
/// anyway, and a second, binary copy of the event would make every message larger to save a parse
/// of a few microseconds. A later version can add it; `Vigil-Event` says which one a message is.
public enum EventWire {
    public static let version = "1"

    /// Headers for `event` (its actor already stamped) and its reach.
    public static func headers(for event: AccessEvent, reach: RoleReach?) -> NATSHeaders {
        var h = NATSHeaders()
        h.append("Vigil-Event", version)
        h.append("Vigil-Format", event.source.rawValue)
        let p = event.position
        h.append("Vigil-Position", "\(p.offset) \(p.line) \(p.input)")
        if let a = event.actor {
            var o = ""
            a.appendJSON(to: &o)   // the form alerts carry: {"arn":…,"chain":[…]}
            h.append("Vigil-Actor", o)
        }
        if let reach, let data = try? JSONEncoder().encode(reach) {
            h.append("Vigil-Reach", String(decoding: data, as: UTF8.self))
        }
        return h
    }

    /// What a worker reads from one message: the event (re-parsed, actor stamped) and its reach, or
    /// why it cannot be used.
    public enum Decoded {
        case event(AccessEvent, RoleReach?)
        case bad(DeadLetter)
    }

    /// Decodes a message; `parser(format)` gives the parser for the format the router named.
    /// A message of another wire version, or whose record no longer parses, is a dead letter (counted
    /// and kept by the caller), never a crash.
    public static func decode(_ m: NATSMessage, parser: (SourceFormat) -> FormatParser) -> Decoded {
        let h = m.headers
        var pos = SourcePosition(input: "nats:\(m.subject)", offset: 0, line: 0)
        if let p = h["Vigil-Position"] {
            let parts = p.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3, let o = Int64(parts[0]), let l = Int64(parts[1]) {
                pos = SourcePosition(input: String(parts[2]), offset: o, line: l)
            }
        }
        func bad(_ reason: String) -> Decoded {
            .bad(m.payload.withUnsafeBytes { DeadLetter(reason: reason, position: pos, bytes: $0) })
        }
        guard h["Vigil-Event"] == version else { return bad("wire-version-\(h["Vigil-Event"] ?? "missing")") }
        guard let f = h["Vigil-Format"], let format = SourceFormat(rawValue: f) else { return bad("wire-format-unknown") }
        let parsed = m.payload.withUnsafeBytes { parser(format).parse($0, position: pos) }
        guard case .event(var e) = parsed else {
            if case .bad(let reason) = parsed { return bad(reason) }
            return bad("unparsable")
        }
        if let a = h["Vigil-Actor"] {
            guard let actor = actor(from: a) else { return bad("wire-actor") }
            e.actor = actor
        }
        var reach: RoleReach?
        if let r = h["Vigil-Reach"] {
            guard let v = try? JSONDecoder().decode(RoleReach.self, from: Data(r.utf8)) else { return bad("wire-reach") }
            reach = v
        }
        return .event(e, reach)
    }

    /// `{"arn":"origin","chain":["role",…]}` → the actor chain (byte scan: this runs for most events).
    static func actor(from text: String) -> ActorChain? {
        var arn: String?
        var chain: [String] = []
        var text = text
        let ok = text.withUTF8 { buf -> Bool in
            var s = JSONScanner(UnsafeRawBufferPointer(buf))
            return s.object { s, key in
                if s.keyIs(key, "arn") {
                    arn = s.string()
                    return arn != nil
                }
                if s.keyIs(key, "chain") {
                    return s.array { s in
                        guard let v = s.string() else { return false }
                        chain.append(v)
                        return true
                    }
                }
                return s.skipValue()
            }
        }
        guard ok, let origin = arn else { return nil }
        return ActorChain(arn: origin, chain: chain)
    }
}
