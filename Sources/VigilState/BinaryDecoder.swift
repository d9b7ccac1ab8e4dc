import Foundation
import VigilCore

/// Reads what ``BinaryCoder/encode(_:)`` wrote. Every length and count is checked against the
/// bytes, so damaged input throws (``BinaryError`` or `DecodingError`), never traps.
final class BinarySource {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func decodeValue<T: Decodable>(_ type: T.Type, at r: inout BinaryReader, codingPath: [any CodingKey]) throws -> T {
        if type == Data.self {
            try expect(.bytes, &r, codingPath)
            let n = try r.count()
            return Data(try r.raw(n)) as! T
        }
        let start = r.offset
        try skip(&r)
        return try T(from: BinaryValueDecoder(source: self, at: start, codingPath: codingPath))
    }

    func tag(_ r: inout BinaryReader) throws -> BinaryTag {
        let at = r.offset
        guard let t = BinaryTag(rawValue: try r.u8()) else { throw BinaryError.invalid("unknown value tag", at: at) }
        return t
    }

    func expect(_ t: BinaryTag, _ r: inout BinaryReader, _ path: [any CodingKey]) throws {
        let found = try tag(&r)
        guard found == t else { throw mismatch("\(t)", found, path) }
    }

    func mismatch(_ wanted: String, _ found: BinaryTag, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: path, debugDescription: "expected \(wanted), found \(found)"))
    }

    /// Moves past one value without decoding it.
    func skip(_ r: inout BinaryReader) throws {
        switch try tag(&r) {
        case .null, .no, .yes: return
        case .signed, .unsigned: _ = try r.varint()
        case .double: _ = try r.raw(8)
        case .float: _ = try r.raw(4)
        case .string, .bytes: _ = try r.raw(try r.count())
        case .keyed, .unkeyed: _ = try r.raw(Int(try r.u32()))
        }
    }

    // Primitives, each from its tag.
    func bool(_ r: inout BinaryReader, _ p: [any CodingKey]) throws -> Bool {
        switch try tag(&r) {
        case .no: return false
        case .yes: return true
        case let t: throw mismatch("a boolean", t, p)
        }
    }

    func string(_ r: inout BinaryReader, _ p: [any CodingKey]) throws -> String {
        try expect(.string, &r, p)
        return try r.string()
    }

    func double(_ r: inout BinaryReader, _ p: [any CodingKey]) throws -> Double {
        switch try tag(&r) {
        case .double: return try r.f64()
        case .float: return Double(Float(bitPattern: try r.u32()))
        case let t: throw mismatch("a number", t, p)
        }
    }

    func float(_ r: inout BinaryReader, _ p: [any CodingKey]) throws -> Float {
        try expect(.float, &r, p)
        return Float(bitPattern: try r.u32())
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type, _ r: inout BinaryReader, _ p: [any CodingKey]) throws -> I {
        let value: I?
        switch try tag(&r) {
        case .signed: value = I(exactly: try r.zigzag())
        case .unsigned: value = I(exactly: try r.varint())
        case let t: throw mismatch("an integer", t, p)
        }
        guard let v = value else {
            throw DecodingError.dataCorrupted(.init(codingPath: p, debugDescription: "integer does not fit \(I.self)"))
        }
        return v
    }
}

/// The decoder one value sees: it knows where the value starts.
struct BinaryValueDecoder: Decoder {
    let source: BinarySource
    let at: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(source: BinarySource, at: Int, codingPath: [any CodingKey]) {
        self.source = source
        self.at = at
        self.codingPath = codingPath
    }

    /// The body of the container that starts here: (first byte, end), after its header.
    func body(_ t: BinaryTag) throws -> BinaryReader {
        var r = BinaryReader(source.bytes, from: at)
        try source.expect(t, &r, codingPath)
        let n = Int(try r.u32())
        let start = r.offset
        _ = try r.raw(n)          // the whole body is within the bytes
        return BinaryReader(source.bytes, from: start, to: start + n)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try BinaryKeyedDecoding<Key>(decoder: self, body: body(.keyed)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        var r = try body(.unkeyed)
        let n = Int(try r.u32())
        return BinaryUnkeyedDecoding(source: source, reader: r, total: n, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleDecoding(source: source, at: at, codingPath: codingPath)
    }
}

struct BinaryKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let source: BinarySource
    let codingPath: [any CodingKey]
    /// Each entry's key (start, length) and where its value starts; looked up linearly from where
    /// the last lookup ended (fields are usually read in the order they were written).
    private var entries: [(key: Range<Int>, value: Int)] = []
    private let cursor = Cursor()

    /// Where the next lookup starts (a class: the protocol's methods are not mutating).
    final class Cursor { var hint = 0 }

    init(decoder: BinaryValueDecoder, body: BinaryReader) throws {
        source = decoder.source
        codingPath = decoder.codingPath
        var r = body
        while !r.isAtEnd {
            let n = try r.count()
            let k = r.offset
            _ = try r.raw(n)
            entries.append((k..<(k + n), r.offset))
            try source.skip(&r)
        }
    }

    var allKeys: [Key] {
        entries.compactMap { Key(stringValue: String(decoding: source.bytes[$0.key], as: UTF8.self)) }
    }

    private func find(_ key: Key) -> Int? {
        var name = key.stringValue
        let n = entries.count
        guard n > 0 else { return nil }
        return name.withUTF8 { u in
            source.bytes.withUnsafeBufferPointer { b in
                for step in 0..<n {
                    let i = (cursor.hint + step) % n
                    let range = entries[i].key
                    if range.count == u.count && (u.count == 0 || memcmp(b.baseAddress! + range.lowerBound, u.baseAddress!, u.count) == 0) { return i }
                }
                return nil
            }
        }
    }

    private func reader(_ key: Key) throws -> BinaryReader {
        guard let i = find(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for \(key.stringValue)"))
        }
        cursor.hint = i + 1
        return BinaryReader(source.bytes, from: entries[i].value)
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        var r = try reader(key)
        return try source.tag(&r) == .null
    }

    private var path: [any CodingKey] { codingPath }
    func decode(_ t: Bool.Type, forKey k: Key) throws -> Bool { var r = try reader(k); return try source.bool(&r, path + [k]) }
    func decode(_ t: String.Type, forKey k: Key) throws -> String { var r = try reader(k); return try source.string(&r, path + [k]) }
    func decode(_ t: Double.Type, forKey k: Key) throws -> Double { var r = try reader(k); return try source.double(&r, path + [k]) }
    func decode(_ t: Float.Type, forKey k: Key) throws -> Float { var r = try reader(k); return try source.float(&r, path + [k]) }
    func decode(_ t: Int.Type, forKey k: Key) throws -> Int { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: Int8.Type, forKey k: Key) throws -> Int8 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: Int16.Type, forKey k: Key) throws -> Int16 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: Int32.Type, forKey k: Key) throws -> Int32 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: Int64.Type, forKey k: Key) throws -> Int64 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: UInt.Type, forKey k: Key) throws -> UInt { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: UInt8.Type, forKey k: Key) throws -> UInt8 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: UInt16.Type, forKey k: Key) throws -> UInt16 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: UInt32.Type, forKey k: Key) throws -> UInt32 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode(_ t: UInt64.Type, forKey k: Key) throws -> UInt64 { var r = try reader(k); return try source.integer(t, &r, path + [k]) }
    func decode<T: Decodable>(_ t: T.Type, forKey k: Key) throws -> T {
        var r = try reader(k)
        return try source.decodeValue(t, at: &r, codingPath: path + [k])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let r = try reader(key)
        return try BinaryValueDecoder(source: source, at: r.offset, codingPath: path + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let r = try reader(key)
        return try BinaryValueDecoder(source: source, at: r.offset, codingPath: path + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "superclass decoding is not used by Vigil's checkpoint types"))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder() }
}

struct BinaryUnkeyedDecoding: UnkeyedDecodingContainer {
    let source: BinarySource
    var reader: BinaryReader
    let total: Int
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(source: BinarySource, reader: BinaryReader, total: Int, codingPath: [any CodingKey]) {
        self.source = source
        self.reader = reader
        self.total = total
        self.codingPath = codingPath
    }

    var count: Int? { total }
    var isAtEnd: Bool { currentIndex >= total || reader.isAtEnd }

    private mutating func advance() throws {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "no element \(currentIndex)"))
        }
        currentIndex += 1
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        var peek = reader
        guard try source.tag(&peek) == .null else { return false }
        reader = peek
        currentIndex += 1
        return true
    }

    mutating func decode(_ t: Bool.Type) throws -> Bool { try advance(); return try source.bool(&reader, codingPath) }
    mutating func decode(_ t: String.Type) throws -> String { try advance(); return try source.string(&reader, codingPath) }
    mutating func decode(_ t: Double.Type) throws -> Double { try advance(); return try source.double(&reader, codingPath) }
    mutating func decode(_ t: Float.Type) throws -> Float { try advance(); return try source.float(&reader, codingPath) }
    mutating func decode(_ t: Int.Type) throws -> Int { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: Int8.Type) throws -> Int8 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: Int16.Type) throws -> Int16 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: Int32.Type) throws -> Int32 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: Int64.Type) throws -> Int64 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: UInt.Type) throws -> UInt { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: UInt8.Type) throws -> UInt8 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: UInt16.Type) throws -> UInt16 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: UInt32.Type) throws -> UInt32 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode(_ t: UInt64.Type) throws -> UInt64 { try advance(); return try source.integer(t, &reader, codingPath) }
    mutating func decode<T: Decodable>(_ t: T.Type) throws -> T {
        try advance()
        return try source.decodeValue(t, at: &reader, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try advance()
        let at = reader.offset
        try source.skip(&reader)
        return try BinaryValueDecoder(source: source, at: at, codingPath: codingPath).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try advance()
        let at = reader.offset
        try source.skip(&reader)
        return try BinaryValueDecoder(source: source, at: at, codingPath: codingPath).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "superclass decoding is not used by Vigil's checkpoint types"))
    }
}

struct BinarySingleDecoding: SingleValueDecodingContainer {
    let source: BinarySource
    let at: Int
    let codingPath: [any CodingKey]

    private var reader: BinaryReader { BinaryReader(source.bytes, from: at) }

    func decodeNil() -> Bool {
        var r = reader
        return (try? source.tag(&r)) == .null
    }

    func decode(_ t: Bool.Type) throws -> Bool { var r = reader; return try source.bool(&r, codingPath) }
    func decode(_ t: String.Type) throws -> String { var r = reader; return try source.string(&r, codingPath) }
    func decode(_ t: Double.Type) throws -> Double { var r = reader; return try source.double(&r, codingPath) }
    func decode(_ t: Float.Type) throws -> Float { var r = reader; return try source.float(&r, codingPath) }
    func decode(_ t: Int.Type) throws -> Int { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: Int8.Type) throws -> Int8 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: Int16.Type) throws -> Int16 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: Int32.Type) throws -> Int32 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: Int64.Type) throws -> Int64 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: UInt.Type) throws -> UInt { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: UInt8.Type) throws -> UInt8 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: UInt16.Type) throws -> UInt16 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: UInt32.Type) throws -> UInt32 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode(_ t: UInt64.Type) throws -> UInt64 { var r = reader; return try source.integer(t, &r, codingPath) }
    func decode<T: Decodable>(_ t: T.Type) throws -> T {
        var r = reader
        return try source.decodeValue(t, at: &r, codingPath: codingPath)
    }
}
