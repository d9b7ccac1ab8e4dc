import Foundation
import VigilCore

extension Condition {
    /// Evaluates the condition against an event's record. O(size of the values visited).
    func holds(_ r: inout RecordView) -> Bool {
        switch self {
        case .all(let cs):
            for c in cs where !c.holds(&r) { return false }
            return true
        case .any(let cs):
            for c in cs where c.holds(&r) { return true }
            return false
        case .not(let c):
            return !c.holds(&r)
        case .leaf(let field, .containsAny, .needles(let needles)):
            // Byte-level, ASCII case-insensitive; the event's own fields are read without boxing.
            if field.hasPrefix("$") {
                guard var text = r.ownField(field) else { return false }
                return text.withUTF8 { Condition.containsAny($0, needles) }
            }
            return r.values(field).compactMap(RecordView.text).contains { t in
                var t = t
                return t.withUTF8 { Condition.containsAny($0, needles) }
            }
        case .leaf(let field, let op, let value):
            let vals = r.values(field)
            let texts = vals.compactMap(RecordView.text)
            switch (op, value) {
            case (.equals, .string(let s)): return texts.contains(s)
            case (.equals, .bool(let b)): return texts.contains(b ? "true" : "false")
            case (.notEquals, .string(let s)): return !texts.contains(s)
            case (.notEquals, .bool(let b)): return !texts.contains(b ? "true" : "false")
            case (.contains, .string(let s)): return texts.contains { $0.contains(s) }
            case (.startsWith, .string(let s)): return texts.contains { $0.hasPrefix(s) }
            case (.in, .strings(let set)): return texts.contains { set.contains($0) }
            case (.startsWithAny, .strings(let prefixes)): return texts.contains { t in prefixes.contains { t.hasPrefix($0) } }
            case (.exists, .bool(let b)): return vals.isEmpty != b
            case (.equalsField, .string(let other)):
                let o = Set(r.values(other).compactMap(RecordView.text))
                return texts.contains { o.contains($0) }
            case (.notEqualsField, .string(let other)):
                let o = Set(r.values(other).compactMap(RecordView.text))
                return !texts.isEmpty && !texts.contains { o.contains($0) }
            case (.atLeast, .number(let n)):
                return texts.contains { (Double($0) ?? -.infinity) >= n }
            case (.notContainsField, .string(let other)):
                let o = r.values(other).compactMap(RecordView.text).filter { !$0.isEmpty }
                return !o.isEmpty && texts.contains { t in !o.contains { t.contains($0) } }
            case (.grantsFullAccess, .bool(let b)):
                return vals.contains { PolicyCheck.grantsFullAccess($0) } == b
            case (.publicPolicy, .bool(let b)):
                return vals.contains { PolicyCheck.grantsPublicAccess($0) } == b
            case (.trustsOutsideAccount, .bool(let b)):
                let own = r.event.account ?? ""
                return vals.contains { PolicyCheck.trustsOutside($0, account: own) } == b
            default:
                return false
            }
        }
    }
}

/// Does an IAM-style policy (object or JSON text) let anyone in?
///
/// True when some `Allow` statement names the principal `*` (or `{"AWS":"*"}`) and carries no
/// `Condition` — a condition (org ID, source VPC/IP) is taken as restricting access.
enum PolicyCheck {
    static func grantsPublicAccess(_ v: Any) -> Bool {
        var doc: Any = v
        if let s = v as? String {
            guard let d = s.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: d) else { return false }
            doc = o
        }
        if let d = doc as? [String: Any] {
            if let st = d["Statement"] {
                return RecordView.flatten(st).contains { statementIsPublic($0) }
            }
            // Wrappers such as {"Policy": {...}} or {"attributes": {"Policy": "..."}}.
            return d.values.contains { grantsPublicAccess($0) }
        }
        return false
    }

    /// Statements of a policy document given as an object or JSON text (wrappers searched).
    static func statements(_ v: Any) -> [[String: Any]] {
        var doc: Any = v
        if let s = v as? String {
            guard let d = s.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: d) else { return [] }
            doc = o
        }
        guard let d = doc as? [String: Any] else { return [] }
        if let st = d["Statement"] { return RecordView.flatten(st).compactMap { $0 as? [String: Any] } }
        return d.values.flatMap { statements($0) }
    }

    /// Does some Allow statement grant every action on every resource (`"Action": "*"`, or a
    /// `NotAction` allow, on `"Resource": "*"`)? Documents may arrive URL-encoded.
    static func grantsFullAccess(_ v: Any) -> Bool {
        var doc = v
        if let s = v as? String, s.hasPrefix("%7B") || s.hasPrefix("%7b"), let decoded = s.removingPercentEncoding { doc = decoded }
        return statements(doc).contains { st in
            guard (st["Effect"] as? String) == "Allow" else { return false }
            let resources = RecordView.flatten(st["Resource"] ?? []).compactMap { $0 as? String }
            guard resources.contains("*") else { return false }
            if st["NotAction"] != nil { return true }
            return RecordView.flatten(st["Action"] ?? []).contains { ($0 as? String) == "*" }
        }
    }

    /// Does some Allow statement trust `*` or an AWS principal outside `account`?
    static func trustsOutside(_ v: Any, account: String) -> Bool {
        statements(v).contains { st in
            guard (st["Effect"] as? String) == "Allow", let p = st["Principal"] else { return false }
            if let ps = p as? String { return ps == "*" }
            guard let pd = p as? [String: Any], let aws = pd["AWS"] else { return false }
            return RecordView.flatten(aws).contains { x in
                guard let s = x as? String else { return false }
                if s == "*" { return true }
                let acct = s.hasPrefix("arn:") ? s.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? "" : s
                return !account.isEmpty && acct != account
            }
        }
    }

    static func statementIsPublic(_ s: Any) -> Bool {
        guard let st = s as? [String: Any] else { return false }
        guard (st["Effect"] as? String) == "Allow", st["Condition"] == nil else { return false }
        guard let p = st["Principal"] else { return false }
        if let ps = p as? String { return ps == "*" }
        if let pd = p as? [String: Any] {
            return pd.values.flatMap(RecordView.flatten).contains { ($0 as? String) == "*" }
        }
        return false
    }
}

extension Condition {
    /// True when `hay` contains one of `needles` (lower-case ASCII bytes), ignoring ASCII case.
    static func containsAny(_ hay: UnsafeBufferPointer<UInt8>, _ needles: [[UInt8]]) -> Bool {
        for n in needles where !n.isEmpty && n.count <= hay.count {
            let first = n[0]
            var i = 0
            let last = hay.count - n.count
            while i <= last {
                if ASCIICase.lower(hay[i]) == first {
                    var j = 1
                    while j < n.count {
                        if ASCIICase.lower(hay[i + j]) != n[j] { break }
                        j += 1
                    }
                    if j == n.count { return true }
                }
                i += 1
            }
        }
        return false
    }
}
