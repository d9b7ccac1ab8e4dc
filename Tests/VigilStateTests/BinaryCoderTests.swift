import Foundation
import Testing
@testable import VigilState

/// The tagged binary form of Codable values (checkpoint sections other than principal records).
@Suite struct BinaryCoderTests {
    struct Inner: Codable, Equatable {
        var name: String
        var times: [Int64]
        var note: String?
    }

    struct Outer: Codable, Equatable {
        var small: Int8 = -3
        var big: UInt64 = .max
        var negative: Int = .min
        var double: Double = -0.0
        var float: Float = 1.5
        var flag = true
        var text = "naïve façade 🚀"
        var empty = ""
        var blob = Data([0, 255, 7])
        var byName: [String: Inner] = ["a": Inner(name: "x", times: [1, -2], note: nil), "": Inner(name: "", times: [], note: "n")]
        var byKey: [UInt64: Int32] = [7: -1, .max: 3]
        var optionals: [Int?] = [1, nil, 3]
        var missing: Inner? = nil
        var nested: [[Double]] = [[1, 2], [], [.infinity]]
    }

    @Test func aValue_roundTripsExactly() throws {
        let v = Outer()
        let back = try BinaryCoder.decode(Outer.self, from: try BinaryCoder.encode(v))
        #expect(back == v)
        #expect(back.double.sign == .minus)       // bits, not text: -0 stays -0
    }

    @Test func aFieldAddedLater_readsOlderBytes_whenOptional() throws {
        struct Old: Codable { var name: String; var times: [Int64] }
        let back = try BinaryCoder.decode(Inner.self, from: try BinaryCoder.encode(Old(name: "o", times: [5])))
        #expect(back == Inner(name: "o", times: [5], note: nil))
    }

    @Test func damagedBytes_throw_neverTrap() throws {
        let good = try BinaryCoder.encode(Outer())
        for n in 0..<good.count {
            #expect(throws: (any Error).self) { try BinaryCoder.decode(Outer.self, from: Array(good[0..<n])) }
        }
        var rejected = 0
        for i in 0..<good.count {
            var b = good
            b[i] ^= 0x5a
            if (try? BinaryCoder.decode(Outer.self, from: b)) == nil { rejected += 1 }
        }
        #expect(rejected > good.count / 2)     // most flips break the structure; the rest change a value (checksums catch those)
    }

    @Test func aMismatchedType_isATypeError() throws {
        let b = try BinaryCoder.encode(["a": "text"])
        #expect(throws: DecodingError.self) { try BinaryCoder.decode([String: Int].self, from: b) }
    }
}
