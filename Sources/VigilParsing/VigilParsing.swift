/// # VigilParsing
///
/// Turns one framed record into one normalized ``AccessEvent`` — or a reason why it cannot.
/// Parsers read bytes directly (``JSONScanner``); Foundation's JSON decoding is ~10× slower and
/// is kept off this hot path.
///
/// ```swift
/// let parser = CloudTrailParser()
/// switch parser.parse(bytes, position: pos) {
/// case .event(let e): print(e.principal, e.action)   // arn:aws:iam::1:role/ci  s3:GetObject
/// case .bad(let reason): print(reason)               // missing-time, not-json, invalid-utf8, ...
/// }
/// ```
public enum VigilParsing {}

/// What a parser made of one record.
public enum ParseResult: Sendable, Equatable {
    case event(AccessEvent)
    /// A dead-letter reason (`not-json`, `invalid-utf8`, `missing-time`, `not-an-object`, ...).
    case bad(String)

    /// The result with its event's keys computed from its fields (``EventKeys``): what the parsers
    /// without a byte-level builder hand on, so every event leaves the reader with its keys.
    public func withKeys() -> ParseResult {
        guard case .event(var e) = self else { return self }
        e.stampKeys()
        return .event(e)
    }
}

/// Anything that turns a framed record into an event. Parsers are pure: no I/O, no clock.
public protocol RecordParser {
    func parse(_ record: UnsafeRawBufferPointer, position: SourcePosition) -> ParseResult
}

import VigilCore
