#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if _endian(big)
#error("Packed arrays are stored little-endian; big-endian hosts are not supported")
#endif

/// A numeric array that encodes as one block of raw bytes (base64 in JSON) instead of one JSON
/// number per element.
///
/// Why: model snapshots and checkpoints hold forest nodes, sample windows and drift windows —
/// hundreds of thousands of numbers. As JSON numbers they took ~0.4 s to write for a small
/// organisation, too slow to checkpoint often; as bytes they are a memory copy. Decoding also accepts
/// the plain-array form that earlier snapshots used. Values round-trip bit for bit.
@propertyWrapper
public struct Packed<Element: BitwiseCopyable & Codable & Sendable>: Codable, Sendable {
    public var wrappedValue: [Element]

    public init(wrappedValue: [Element]) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(wrappedValue.withUnsafeBytes { Data($0) })
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let data = try? c.decode(Data.self) {
            let size = MemoryLayout<Element>.stride
            guard data.count % size == 0 else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "packed array of \(data.count) bytes is not a whole number of \(size)-byte elements")
            }
            var out = [Element]()
            out.reserveCapacity(data.count / size)
            data.withUnsafeBytes { raw in
                for i in 0..<(data.count / size) { out.append(raw.loadUnaligned(fromByteOffset: i * size, as: Element.self)) }
            }
            wrappedValue = out
        } else {
            wrappedValue = try c.decode([Element].self)
        }
    }
}
