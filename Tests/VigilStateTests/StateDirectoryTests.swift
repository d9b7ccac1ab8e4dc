import Foundation
import Testing
import VigilResponders
@testable import VigilState
import VigilTestSupport

@Suite struct StateDirectoryTests {
    @Test func aSecondOpenOfTheSameDirectory_isRefusedWhileTheFirstHoldsIt() throws {
        let dir = TestSupport.tempDir() + "/state"
        var first: StateDirectory? = try StateDirectory(path: dir)
        #expect(throws: StateError.self) { try StateDirectory(path: dir) }
        do {
            _ = try StateDirectory(path: dir)
        } catch let e as StateError {
            #expect(e.description.contains("in use by another Vigil (pid \(getpid()))"))
        }
        first = nil
        _ = first
        _ = try StateDirectory(path: dir)            // released with its holder
    }

    @Test func aDirectoryWithAnotherLayoutVersion_isRefused() throws {
        let dir = TestSupport.tempDir() + "/state"
        _ = try StateDirectory(path: dir)
        try "vigil-state 99\n".write(toFile: dir + "/VERSION", atomically: true, encoding: .utf8)
        #expect(throws: StateError.self) { try StateDirectory(path: dir) }
    }

    @Test func aVersionOneDirectory_isUpgraded_andItsJSONCheckpointRead() throws {
        let dir = TestSupport.tempDir() + "/state"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "vigil-state 1\n".write(toFile: dir + "/VERSION", atomically: true, encoding: .utf8)
        try SnapshotFile.write(Array("{}".utf8), to: dir + "/checkpoint.zst")
        let s = try StateDirectory(path: dir)
        guard case .json(let bytes)? = try s.loadCheckpoint() else { Issue.record("no JSON checkpoint"); return }
        #expect(bytes == Array("{}".utf8))
        #expect(try String(contentsOfFile: dir + "/VERSION", encoding: .utf8) == "vigil-state 2\n")
        try s.commit(kind: .base, sections: [(1, [1, 2, 3])])
        #expect(!FileManager.default.fileExists(atPath: dir + "/checkpoint.zst"))   // replaced by the binary one
    }

    @Test func anOutputReopenedAtACheckpoint_losesWhatCameAfterIt_andAppends() throws {
        let path = TestSupport.tempDir() + "/alerts.jsonl"
        let w = try LineWriter(path: path)
        try w.write("{\"id\":\"a\"}")
        try w.flush()
        let mark = w.writtenBytes
        try w.write("{\"id\":\"b\"}")                  // after the checkpoint: re-emitted on restart
        try w.flush()
        let again = try LineWriter(path: path, keeping: mark)
        try again.write("{\"id\":\"b\"}")
        try again.flush()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"id\":\"a\"}\n{\"id\":\"b\"}\n")
        #expect(throws: ResponderError.self) { try LineWriter(path: path, keeping: 1000) }
    }
}
