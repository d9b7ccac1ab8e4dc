import VigilCore

/// The opening every JSON parser shares: valid UTF-8, exactly one object, nothing after it.
enum JSONRecord {
    /// Walks the record's top-level members through `body`; returns a dead-letter reason, or nil
    /// when the record is a well-formed object.
    static func read(_ record: UnsafeRawBufferPointer, _ body: (inout JSONScanner, Range<Int>) -> Bool) -> String? {
        guard UTF8Check.isValid(record) else { return "invalid-utf8" }
        var s = JSONScanner(record)
        guard s.peek() == 123 else { return "not-an-object" }
        guard s.object(body) else { return "not-json" }
        s.skipWS()
        return s.atEnd ? nil : "not-json"
    }
}

/// Which events keep a copy of their raw record: those whose action some rule inspects in depth
/// (or all, for tests and tools). Shared by the JSON parsers.
public struct RawRecordPolicy: Sendable {
    public let detailActions: Set<String>
    public var keepAll: Bool

    /// The keys of `detailActions`.
    let detailKeys: KeyFilter
    let keepsAnyAction: Bool

    public init(detailActions: Set<String> = [], keepAll: Bool = false) {
        self.detailActions = detailActions
        self.keepAll = keepAll
        var f = KeyFilter()
        for a in detailActions { f.insert(StableHash.fnv1a(a)) }
        detailKeys = f
        keepsAnyAction = detailActions.contains("*")
    }

    func keeps(_ action: String) -> Bool { keepAll || detailActions.contains(action) || detailActions.contains("*") }

    /// ``keeps(_:)`` for an action whose key is at hand: most actions are not detail actions, and
    /// a filter of their keys says so without hashing the String.
    func keeps(_ action: String, key: UInt64) -> Bool {
        keepAll || (detailKeys.mayContain(key) && detailActions.contains(action)) || keepsAnyAction
    }
}
