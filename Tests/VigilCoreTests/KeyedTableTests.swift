import Foundation
import Testing
import VigilCore

/// `KeyedTable` answers as the `[String: Value]` dictionary it replaces in the stitcher and the
/// credential binding, reads and writes the same JSON, and a hash collision never mixes two keys.
@Suite struct KeyedTableTests {
    @Test func randomInsertsUpdatesAndRemovals_matchADictionary() {
        var table = KeyedTable<Int>()
        var reference: [String: Int] = [:]
        var s: UInt64 = 42
        for step in 0..<20_000 {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            let key = "ASIA\(String((s >> 40) % 3000, radix: 16))"
            if (s >> 20) % 4 == 0 {
                table[key] = nil
                reference[key] = nil
            } else {
                table[key] = step
                reference[key] = step
            }
            #expect(table.count == reference.count)
        }
        for k in reference.keys { #expect(table[k] == reference[k]) }
        #expect(table["ASIA-never"] == nil)
        var seen: [String: Int] = [:]
        table.forEach { seen[$0] = $1 }
        #expect(seen == reference)
        let kept = table.filter { _, v in v % 2 == 0 }
        #expect(kept.count == reference.values.filter { $0 % 2 == 0 }.count)
    }

    @Test func keysWithTheSameHash_stayApart() {
        var t = KeyedTable<String>()
        t.set("first", forKey: "AKIAEXAMPLE1", hash: 7)
        t.set("second", forKey: "AKIAEXAMPLE2", hash: 7)
        #expect(t.value(forKey: "AKIAEXAMPLE1", hash: 7) == "first")
        #expect(t.value(forKey: "AKIAEXAMPLE2", hash: 7) == "second")
        t.set(nil, forKey: "AKIAEXAMPLE1", hash: 7)
        #expect(t.value(forKey: "AKIAEXAMPLE1", hash: 7) == nil)
        #expect(t.value(forKey: "AKIAEXAMPLE2", hash: 7) == "second")
        #expect(t.count == 1)
    }

    @Test func encodesAsTheDictionaryItReplaced() throws {
        let d = ["ASIAQNZGKIQYZEXAMPLE": 1_700_000_000_000, "ASIAY34FZKBOKEXAMPLE": 5]
        let fromDictionary = try JSONDecoder().decode(KeyedTable<Int>.self, from: JSONEncoder().encode(d))
        #expect(fromDictionary.count == 2 && fromDictionary["ASIAQNZGKIQYZEXAMPLE"] == 1_700_000_000_000)
        let back = try JSONDecoder().decode([String: Int].self, from: JSONEncoder().encode(fromDictionary))
        #expect(back == d)
    }
}
