import Foundation
import VigilCore

/// Encodes any `Encodable` value as tagged binary: the format of checkpoint sections whose types
/// are not hand-written records (forest, drift, detector, identity stitching, configuration).
///
/// Why: JSON of a checkpoint took seconds and gigabytes; this is the same tree of values without
/// text: numbers as varints or IEEE bits, `Data` (the packed forest and drift arrays) as one block
/// of bytes. Keys are kept, so a value decodes whatever order its fields come in, optional fields
/// may be absent, and a type that gains a field still reads what an older Vigil wrote.
///
/// Layout, one tag byte first (``BinaryTag``): nil, false, true, signed (zigzag varint), unsigned
/// (varint), double (8 bytes), float (4), string and bytes (varint length, then the bytes), keyed
/// container (u32 length, then key string and value pairs), unkeyed container (u32 length, u32
/// count, then values). Lengths let a reader skip a value without reading it.
/// - Complexity: O(size of the value).
public enum BinaryCoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let sink = BinarySink()
        try sink.encodeValue(value, codingPath: [])
        return sink.writer.take()
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let source = BinarySource(bytes)
        var r = BinaryReader(bytes)
        let v = try source.decodeValue(type, at: &r, codingPath: [])
        guard r.isAtEnd else { throw BinaryError.invalid("\(r.remaining) bytes after the value", at: r.offset) }
        return v
    }
}

/// The first byte of every encoded value.
enum BinaryTag: UInt8 {
    case null = 0, no, yes, signed, unsigned, double, float, string, bytes, keyed, unkeyed
}

/// The one buffer an encoding writes into, in the order the containers are filled.
final class BinarySink {
    var writer = BinaryWriter(capacity: 1 << 12)

    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        if let d = value as? Data {
            writer.u8(BinaryTag.bytes.rawValue)
            writer.varint(UInt64(d.count))
            d.withUnsafeBytes { writer.raw($0) }
            return
        }
        let e = BinaryValueEncoder(sink: self, codingPath: codingPath)
        try value.encode(to: e)
        e.finish()
    }

    func string(_ s: String) {
        writer.u8(BinaryTag.string.rawValue)
        writer.string(s)
    }

    func signed(_ v: Int64) {
        writer.u8(BinaryTag.signed.rawValue)
        writer.zigzag(v)
    }

    func unsigned(_ v: UInt64) {
        writer.u8(BinaryTag.unsigned.rawValue)
        writer.varint(v)
    }

    func double(_ v: Double) {
        writer.u8(BinaryTag.double.rawValue)
        writer.f64(v)
    }

    func float(_ v: Float) {
        writer.u8(BinaryTag.float.rawValue)
        writer.u32(v.bitPattern)
    }

    func bool(_ v: Bool) { writer.u8(v ? BinaryTag.yes.rawValue : BinaryTag.no.rawValue) }
    func null() { writer.u8(BinaryTag.null.rawValue) }
}

/// The encoder one value sees. It opens at most one container (asking again for the same kind
/// continues it); `finish` patches the container's length once the value is written.
final class BinaryValueEncoder: Encoder {
    let sink: BinarySink
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private var opened: BinaryTag?
    private var start = 0
    var elements: UInt32 = 0

    init(sink: BinarySink, codingPath: [any CodingKey]) {
        self.sink = sink
        self.codingPath = codingPath
    }

    private func open(_ tag: BinaryTag) {
        if let o = opened {
            precondition(o == tag, "a value encoded itself as two different containers")
            return
        }
        opened = tag
        sink.writer.u8(tag.rawValue)
        start = sink.writer.count
        sink.writer.u32(0)
        if tag == .unkeyed { sink.writer.u32(0) }
    }

    func finish() {
        guard let o = opened else {
            // A value that wrote nothing at all reads back as an empty keyed container.
            open(.keyed)
            finish()
            return
        }
        guard o != .null else { return }
        sink.writer.patchU32(at: start, UInt32(sink.writer.count - start - 4))
        if o == .unkeyed { sink.writer.patchU32(at: start + 4, elements) }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        open(.keyed)
        return KeyedEncodingContainer(BinaryKeyedEncoding<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        open(.unkeyed)
        return BinaryUnkeyedEncoding(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        precondition(opened == nil, "a value encoded itself as a container and a single value")
        opened = .null   // marks "a single value was written": nothing to patch
        return BinarySingleEncoding(encoder: self)
    }
}

struct BinaryKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: BinaryValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var sink: BinarySink { encoder.sink }

    init(encoder: BinaryValueEncoder) { self.encoder = encoder }

    private func key(_ k: Key) { sink.writer.string(k.stringValue) }

    mutating func encodeNil(forKey k: Key) throws { key(k); sink.null() }
    mutating func encode(_ v: Bool, forKey k: Key) throws { key(k); sink.bool(v) }
    mutating func encode(_ v: String, forKey k: Key) throws { key(k); sink.string(v) }
    mutating func encode(_ v: Double, forKey k: Key) throws { key(k); sink.double(v) }
    mutating func encode(_ v: Float, forKey k: Key) throws { key(k); sink.float(v) }
    mutating func encode(_ v: Int, forKey k: Key) throws { key(k); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int8, forKey k: Key) throws { key(k); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int16, forKey k: Key) throws { key(k); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int32, forKey k: Key) throws { key(k); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int64, forKey k: Key) throws { key(k); sink.signed(v) }
    mutating func encode(_ v: UInt, forKey k: Key) throws { key(k); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt8, forKey k: Key) throws { key(k); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt16, forKey k: Key) throws { key(k); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt32, forKey k: Key) throws { key(k); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt64, forKey k: Key) throws { key(k); sink.unsigned(v) }
    mutating func encode<T: Encodable>(_ v: T, forKey k: Key) throws {
        key(k)
        try sink.encodeValue(v, codingPath: codingPath + [k])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey k: Key) -> KeyedEncodingContainer<NestedKey> {
        preconditionFailure("nested containers are not used by Vigil's checkpoint types")
    }

    mutating func nestedUnkeyedContainer(forKey k: Key) -> any UnkeyedEncodingContainer {
        preconditionFailure("nested containers are not used by Vigil's checkpoint types")
    }

    mutating func superEncoder() -> any Encoder { preconditionFailure("superclass encoding is not used by Vigil's checkpoint types") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder() }
}

struct BinaryUnkeyedEncoding: UnkeyedEncodingContainer {
    let encoder: BinaryValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { Int(encoder.elements) }
    private var sink: BinarySink { encoder.sink }

    private func next() { encoder.elements += 1 }

    mutating func encodeNil() throws { next(); sink.null() }
    mutating func encode(_ v: Bool) throws { next(); sink.bool(v) }
    mutating func encode(_ v: String) throws { next(); sink.string(v) }
    mutating func encode(_ v: Double) throws { next(); sink.double(v) }
    mutating func encode(_ v: Float) throws { next(); sink.float(v) }
    mutating func encode(_ v: Int) throws { next(); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int8) throws { next(); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int16) throws { next(); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int32) throws { next(); sink.signed(Int64(v)) }
    mutating func encode(_ v: Int64) throws { next(); sink.signed(v) }
    mutating func encode(_ v: UInt) throws { next(); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt8) throws { next(); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt16) throws { next(); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt32) throws { next(); sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt64) throws { next(); sink.unsigned(v) }
    mutating func encode<T: Encodable>(_ v: T) throws {
        next()
        try sink.encodeValue(v, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        preconditionFailure("nested containers are not used by Vigil's checkpoint types")
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        preconditionFailure("nested containers are not used by Vigil's checkpoint types")
    }

    mutating func superEncoder() -> any Encoder { preconditionFailure("superclass encoding is not used by Vigil's checkpoint types") }
}

struct BinarySingleEncoding: SingleValueEncodingContainer {
    let encoder: BinaryValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var sink: BinarySink { encoder.sink }

    mutating func encodeNil() throws { sink.null() }
    mutating func encode(_ v: Bool) throws { sink.bool(v) }
    mutating func encode(_ v: String) throws { sink.string(v) }
    mutating func encode(_ v: Double) throws { sink.double(v) }
    mutating func encode(_ v: Float) throws { sink.float(v) }
    mutating func encode(_ v: Int) throws { sink.signed(Int64(v)) }
    mutating func encode(_ v: Int8) throws { sink.signed(Int64(v)) }
    mutating func encode(_ v: Int16) throws { sink.signed(Int64(v)) }
    mutating func encode(_ v: Int32) throws { sink.signed(Int64(v)) }
    mutating func encode(_ v: Int64) throws { sink.signed(v) }
    mutating func encode(_ v: UInt) throws { sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt8) throws { sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt16) throws { sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt32) throws { sink.unsigned(UInt64(v)) }
    mutating func encode(_ v: UInt64) throws { sink.unsigned(v) }
    mutating func encode<T: Encodable>(_ v: T) throws { try sink.encodeValue(v, codingPath: codingPath) }
}
