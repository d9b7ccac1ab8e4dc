import VigilCore

extension SigmaRule {
    /// Does the rule's condition hold for the record? (The caller has checked ``sees(_:_:)``.)
    public func holds(_ r: inout SigmaRecord) -> Bool {
        evaluate(condition, &r)
    }

    func evaluate(_ e: SigmaExpr, _ r: inout SigmaRecord) -> Bool {
        switch e {
        case .and(let xs):
            for x in xs where !evaluate(x, &r) { return false }
            return true
        case .or(let xs):
            for x in xs where evaluate(x, &r) { return true }
            return false
        case .not(let x):
            return !evaluate(x, &r)
        case .selection(let i):
            return selections[i].holds(&r)
        }
    }

    /// `field=value` for the fields of the selections that matched, for the alert's reasons: what
    /// in the record made the rule fire. Values are cut at 120 characters.
    public func matchedFields(_ r: inout SigmaRecord) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        collectMatched(condition, &r, positive: true, &out, &seen)
        return out
    }

    private func collectMatched(_ e: SigmaExpr, _ r: inout SigmaRecord, positive: Bool, _ out: inout [String], _ seen: inout Set<String>) {
        switch e {
        case .and(let xs), .or(let xs):
            for x in xs { collectMatched(x, &r, positive: positive, &out, &seen) }
        case .not(let x):
            collectMatched(x, &r, positive: !positive, &out, &seen)
        case .selection(let i):
            // A negated selection matched nothing; only positive ones explain the match.
            guard positive else { return }
            let sel = selections[i]
            if !sel.keywords.isEmpty {
                for k in sel.keywords where r.raw?.withUnsafeBufferPointer({ k.matches($0) }) ?? false {
                    if seen.insert("keyword:" + k.source).inserted { out.append("keyword '\(k.source)'") }
                }
                return
            }
            for g in sel.groups where g.allSatisfy({ $0.holds(&r) }) {
                for t in g where seen.insert(t.field).inserted {
                    let v = r.values(t.paths).first
                    let text: String
                    switch v {
                    case .none, .some(.null): text = "null"
                    case .some(let x): text = r.string(x).map { $0.count > 120 ? String($0.prefix(117)) + "..." : $0 } ?? "null"
                    }
                    out.append("\(t.field)=\(text)")
                }
            }
        }
    }
}

extension SigmaSelection {
    func holds(_ r: inout SigmaRecord) -> Bool {
        if !keywords.isEmpty {
            guard let raw = r.raw else { return false }
            return raw.withUnsafeBufferPointer { b in
                allKeywords ? keywords.allSatisfy { $0.matches(b) } : keywords.contains { $0.matches(b) }
            }
        }
        groups: for g in groups {
            for t in g where !t.holds(&r) { continue groups }
            return true
        }
        return false
    }
}

extension SigmaFieldTest {
    func holds(_ r: inout SigmaRecord) -> Bool {
        let values = r.values(paths)
        if all {
            for m in matchers where !m.holds(values, &r) { return false }
            return !matchers.isEmpty
        }
        for m in matchers where m.holds(values, &r) { return true }
        return false
    }
}

extension SigmaMatcher {
    /// Does the field's values (all those found at its path) satisfy this test?
    func holds(_ values: [SigmaValue], _ r: inout SigmaRecord) -> Bool {
        switch self {
        case .null:
            return values.isEmpty || values.contains(.null)
        case .exists(let want):
            return values.contains { $0 != .null } == want
        case .pattern(let p):
            for v in values where r.withBytes(v, { p.matches($0) }) { return true }
            return false
        case .regex(let re):
            for v in values {
                if let lit = re.required, !r.withBytes(v, { lit.matches($0) }) { continue }
                if let s = r.string(v), re.matchesWithoutPrefilter(s) { return true }
            }
            return false
        case .cidr(let net):
            for v in values { if case .container = v { continue }; if let s = r.string(v), net.contains(s) { return true } }
            return false
        case .compare(let op, let bound):
            for v in values {
                if case .container = v { continue }
                guard let s = r.string(v), let d = Double(s) else { continue }
                switch op {
                case .gt: if d > bound { return true }
                case .gte: if d >= bound { return true }
                case .lt: if d < bound { return true }
                case .lte: if d <= bound { return true }
                }
            }
            return false
        case .fieldref(let other):
            let theirs = Set(r.values(other).compactMap { r.string($0) })
            return values.contains { r.string($0).map(theirs.contains) ?? false }
        }
    }
}
