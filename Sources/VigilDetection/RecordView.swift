import Foundation
import VigilCore

/// Foundation JSON decoding for rule files and rare deep inspections (never the hot path).
enum JSONDecoding {
    static func decode<T: Decodable>(_ t: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(t, from: Data(bytes))
    }
}

/// An event plus its raw record parsed on demand, for evaluating ``Condition``s.
///
/// Parsing happens at most once per event and only for events whose action some rule inspects.
struct RecordView {
    let event: AccessEvent
    private var parsed: Any??

    init(_ e: AccessEvent) { event = e }

    mutating func root() -> Any? {
        if let p = parsed { return p }
        let value: Any? = event.raw.flatMap { try? JSONSerialization.jsonObject(with: Data($0), options: [.fragmentsAllowed]) }
        parsed = .some(value)
        return value
    }

    /// All non-null values at a dotted path (arrays fan out), rendered as strings for scalars;
    /// containers are returned as they are (for `publicPolicy`).
    mutating func values(_ path: String) -> [Any] {
        if path.hasPrefix("$") { return ownField(path).map { [$0] } ?? [] }
        guard let r = root() else { return [] }
        var current: [Any] = [r]
        for part in path.split(separator: ".") {
            var next: [Any] = []
            for v in current {
                for item in Self.flatten(v) {
                    if let d = item as? [String: Any], let x = d[String(part)] { next.append(x) }
                }
            }
            current = next
        }
        return current.flatMap(Self.flatten).filter { !($0 is NSNull) }
    }

    /// One of the event's own fields, named `$…` in conditions.
    func ownField(_ name: String) -> String? {
        switch name {
        case "$actor": return event.actorName
        case "$account": return event.account
        case "$principal": return event.principal
        case "$principalType": return event.principalType
        case "$action": return event.action
        case "$errorCode": return event.errorCode
        case "$userAgent": return event.userAgent
        case "$sourceIP": return event.sourceIP
        default: return nil
        }
    }

    static func flatten(_ v: Any) -> [Any] {
        if let a = v as? [Any] { return a.flatMap(flatten) }
        return [v]
    }

    static func text(_ v: Any) -> String? {
        if let s = v as? String { return s }
        if let n = v as? NSNumber {
            if CFGetTypeID(n) == CFBooleanGetTypeID() { return n.boolValue ? "true" : "false" }
            return n.stringValue
        }
        return nil
    }
}

#if !canImport(Darwin)
// CoreFoundation's boolean check is not exported on Linux: NSNumber from JSONSerialization keeps
// `objCType` "c" for booleans.
func CFGetTypeID(_ n: NSNumber) -> Int { String(cString: n.objCType) == "c" ? 1 : 0 }
func CFBooleanGetTypeID() -> Int { 1 }
#endif
