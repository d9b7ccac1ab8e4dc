import Foundation
import Testing
@testable import VigilState
import VigilTestSupport

/// The binary checkpoint on disk: a base and deltas named by a manifest, every damage refused, the
/// last good checkpoint used.
@Suite struct CheckpointChainTests {
    /// Three sections like a checkpoint's: small, large and compressible, empty.
    static func sections(_ n: UInt8) -> [(id: UInt32, bytes: [UInt8])] {
        [(1, [n, 1, 2, 3]), (7, (0..<5000).map { UInt8(truncatingIfNeeded: $0 / 7) &+ n }), (8, [])]
    }

    static func bytes(_ f: CheckpointFile) -> [[UInt8]] { f.sections.map(\.bytes) }

    @Test func aFile_roundTripsEverySection() throws {
        let f = CheckpointFile(kind: .delta, generation: 9, baseGeneration: 4, sections: Self.sections(5))
        let back = try CheckpointFile(decoding: f.encoded(), path: "x")
        #expect(back.kind == .delta && back.generation == 9 && back.baseGeneration == 4)
        #expect(Self.bytes(back) == Self.bytes(f))
        #expect(back.sections.map(\.id) == [1, 7, 8])
    }

    @Test func aFileCutShortAnywhere_isRefused() throws {
        let full = CheckpointFile(kind: .base, generation: 1, baseGeneration: 1, sections: Self.sections(1)).encoded()
        for n in 0..<full.count {
            #expect(throws: StateError.self) { try CheckpointFile(decoding: Array(full[0..<n]), path: "x") }
        }
    }

    @Test func aFlippedByteInAnySection_isRefused_namingTheSection() throws {
        let full = CheckpointFile(kind: .base, generation: 1, baseGeneration: 1, sections: Self.sections(1)).encoded()
        var named = Set<String>()
        for i in 0..<full.count {
            var b = full
            b[i] ^= 0x40
            do {
                _ = try CheckpointFile(decoding: b, path: "x", names: { "s\($0)" })
                Issue.record("byte \(i) of \(full.count) flipped and the file was accepted")
            } catch let e as StateError {
                for s in ["s1", "s7", "s8"] where e.description.contains("section \(s)") { named.insert(s) }
            }
        }
        #expect(named == ["s1", "s7"])   // s8 is empty: only its header can be damaged, and that says "header"
    }

    @Test func aForeignFile_isRefusedAsNotACheckpoint() {
        #expect {
            try CheckpointFile(decoding: Array("{\"version\":1, \"model\": {} ... not ours .........".utf8), path: "x")
        } throws: { ($0 as? StateError)?.description.contains("not a Vigil checkpoint") == true }
    }

    @Test func aChain_readsBackInOrder_andCompactionDropsTheOldFiles() throws {
        let dir = TestSupport.tempDir() + "/state"
        let s = try StateDirectory(path: dir)
        #expect(try s.loadCheckpoint() == nil)
        try s.commit(kind: .base, sections: Self.sections(1))
        try s.commit(kind: .delta, sections: Self.sections(2))
        try s.commit(kind: .delta, sections: Self.sections(3))
        guard case .binary(let files, let warnings)? = try StateDirectory.reopen(s).loadCheckpoint() else { Issue.record("no chain"); return }
        #expect(warnings.isEmpty)
        #expect(files.map(\.kind) == [.base, .delta, .delta])
        #expect(files.map { $0.sections[0].bytes[0] } == [1, 2, 3])
        let s2 = try StateDirectory(path: dir)
        _ = try s2.loadCheckpoint()
        try s2.commit(kind: .base, sections: Self.sections(4))    // compaction: a new base
        try s2.commit(kind: .delta, sections: Self.sections(5))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".vcp") }.sorted()
        #expect(names == ["base-000000000004.vcp", "delta-000000000005.vcp"])
    }

    @Test func aDamagedDelta_isPassedOver_withAWarning_andTheChainBeforeItUsed() throws {
        let dir = TestSupport.tempDir() + "/state"
        do {
            let s = try StateDirectory(path: dir)
            for (i, k) in [CheckpointFile.Kind.base, .delta, .delta, .delta].enumerated() { try s.commit(kind: k, sections: Self.sections(UInt8(i))) }
        }
        try Self.flip(dir + "/delta-000000000003.vcp", at: 100)
        let s = try StateDirectory(path: dir)
        guard case .binary(let files, let warnings)? = try s.loadCheckpoint() else { Issue.record("no chain"); return }
        #expect(files.map(\.generation) == [1, 2])
        #expect(warnings.count == 1 && warnings[0].contains("delta-000000000003.vcp") && warnings[0].contains("damaged")
                && warnings[0].contains("resuming from the checkpoint before it"))
    }

    @Test func aDamagedBase_fallsBackToThePreviousChain_orIsRefused() throws {
        let dir = TestSupport.tempDir() + "/state"
        do {
            let s = try StateDirectory(path: dir)
            try s.commit(kind: .base, sections: Self.sections(1))
            try s.commit(kind: .delta, sections: Self.sections(2))
            try s.commit(kind: .base, sections: Self.sections(3))     // MANIFEST.prev still names 1 and 2
        }
        try Self.truncate(dir + "/base-000000000003.vcp", by: 10)
        do {
            let s = try StateDirectory(path: dir)
            guard case .binary(let files, let warnings)? = try s.loadCheckpoint() else { Issue.record("no chain"); return }
            #expect(files.map(\.generation) == [1, 2])
            #expect(warnings.first?.contains("cut short") == true)
        }
        try Self.flip(dir + "/base-000000000001.vcp", at: 60)
        let s = try StateDirectory(path: dir)
        #expect { try s.loadCheckpoint() } throws: {
            let d = ($0 as? StateError)?.description ?? ""
            return d.contains("no usable checkpoint") && d.contains("move the state directory away")
        }
    }

    @Test func aDamagedManifest_fallsBackToThePreviousOne() throws {
        let dir = TestSupport.tempDir() + "/state"
        do {
            let s = try StateDirectory(path: dir)
            try s.commit(kind: .base, sections: Self.sections(1))
            try s.commit(kind: .delta, sections: Self.sections(2))
        }
        try Self.flip(dir + "/MANIFEST", at: 12)
        let s = try StateDirectory(path: dir)
        guard case .binary(let files, let warnings)? = try s.loadCheckpoint() else { Issue.record("no chain"); return }
        #expect(files.map(\.generation) == [1])
        #expect(warnings.first?.contains("manifest") == true)
    }

    static func flip(_ path: String, at i: Int) throws {
        var b = try SnapshotFile.readRaw(path)
        b[i] ^= 0xff
        try b.withUnsafeBytes { try SnapshotFile.writeAtomically($0, to: path) }
    }

    static func truncate(_ path: String, by n: Int) throws {
        let b = try SnapshotFile.readRaw(path)
        try Array(b.dropLast(n)).withUnsafeBytes { try SnapshotFile.writeAtomically($0, to: path) }
    }
}

extension StateDirectory {
    /// Releases `s` and opens its directory again (as a restarted Vigil would).
    static func reopen(_ s: StateDirectory) throws -> StateDirectory {
        s.unlock()
        return try StateDirectory(path: s.path)
    }
}

extension StoredCheckpoint: Equatable {
    public static func == (a: StoredCheckpoint, b: StoredCheckpoint) -> Bool {
        switch (a, b) {
        case (.json(let x), .json(let y)): return x == y
        case (.binary(let x, let wx), .binary(let y, let wy)): return x.map(\.generation) == y.map(\.generation) && wx == wy
        default: return false
        }
    }
}
