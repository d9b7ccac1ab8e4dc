import VigilCore

/// The Sigma rules of one format: by event name or principal type where the rule requires one, and
/// the rest (`wide`), which see every record of the format. Rule indices ascend in each list.
struct SigmaIndex {
    var byEventName: [CaseFoldedName: [Int]] = [:]
    var byPrincipalType: [CaseFoldedName: [Int]] = [:]
    var wide: [Int] = []

    mutating func add(_ i: Int, _ s: SigmaRule) {
        if let names = s.eventNames {
            for n in names { byEventName[CaseFoldedName(Substring(n)), default: []].append(i) }
        } else if let types = s.principalTypes {
            for t in types { byPrincipalType[CaseFoldedName(Substring(t)), default: []].append(i) }
        } else {
            wide.append(i)
        }
    }

    /// The rules to evaluate for an event, in rule order (so alerts come out in a stable order).
    /// CloudTrail events are looked up by event name (the operation) and principal type, which the
    /// parser copies from the record as they are.
    func candidates(_ e: AccessEvent) -> [Int] {
        guard e.source == .cloudtrail else { return wide }
        let named = byEventName.isEmpty ? nil : byEventName[CaseFoldedName(e.operation)]
        let typed = byPrincipalType.isEmpty ? nil : byPrincipalType[CaseFoldedName(Substring(e.principalType))]
        switch (named, typed) {
        case (nil, nil): return wide
        case (let n?, nil): return n
        case (nil, let t?): return t
        case (let n?, let t?): return Array(Set(n + t)).sorted()
        }
    }

    /// Adds the wide rules into every indexed list once, so an event's candidates are one lookup.
    mutating func finish() {
        guard !wide.isEmpty else { return }
        for k in byEventName.keys { byEventName[k] = Array(Set(byEventName[k]! + wide)).sorted() }
        for k in byPrincipalType.keys { byPrincipalType[k] = Array(Set(byPrincipalType[k]! + wide)).sorted() }
    }
}

/// A name hashed and compared ignoring ASCII case, without building a lower-cased copy (Sigma
/// matches event names case-insensitively; the lookup runs on every event).
struct CaseFoldedName: Hashable {
    let name: Substring

    init(_ name: Substring) { self.name = name }

    func hash(into h: inout Hasher) {
        for c in name.utf8 { h.combine(ASCIICase.lower(c)) }
    }

    static func == (a: CaseFoldedName, b: CaseFoldedName) -> Bool {
        a.name.utf8.count == b.name.utf8.count && zip(a.name.utf8, b.name.utf8).allSatisfy { ASCIICase.lower($0) == ASCIICase.lower($1) }
    }
}
