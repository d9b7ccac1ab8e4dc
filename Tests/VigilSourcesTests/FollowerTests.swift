import Foundation
import Testing
@testable import VigilSources
import VigilTestSupport

/// The follower, driven pass by pass (polling, so no timing is involved): what each rotation style
/// and a directory with new subdirectories look like from the pipeline's side.
@Suite struct FollowerTests {
    /// Collects a pass's events as text: "open path@seek", "data path:bytes", "trunc path", "close path".
    final class Recorder {
        var log: [String] = []
        var text: [Int: String] = [:]
        func handle(_ ev: FollowEvent) {
            switch ev {
            case .opened(let f): log.append("open \(f.name)@\(f.start.seek)")
            case .data(let f, let b): text[f.id, default: ""] += String(decoding: b, as: UTF8.self)
            case .truncated(let f): log.append("trunc \(f.name)")
            case .closed(let f): log.append("close \(f.name)")
            }
        }
        var all: String { text.keys.sorted().map { text[$0]! }.joined() }
    }

    func follower(_ paths: [String], fromStart: Bool = false, resuming: Bool = false) throws -> Follower {
        var o = Follower.Options()
        o.polling = true
        o.fromStart = fromStart
        o.resuming = resuming
        o.stableSeconds = 0
        return try Follower(paths: paths, options: o) { _, _ in .unknown }
    }

    func append(_ s: String, to path: String) {
        let h = FileHandle(forWritingAtPath: path) ?? { FileManager.default.createFile(atPath: path, contents: nil); return FileHandle(forWritingAtPath: path)! }()
        h.seekToEndOfFile()
        h.write(Data(s.utf8))
        try? h.close()
    }

    @Test func aFilePresentAtStart_isReadFromItsEnd_unlessFromStart() throws {
        let dir = TestSupport.tempDir()
        let path = dir + "/app.log"
        append("old 1\nold 2\npart", to: path)
        let r = Recorder()
        let f = try follower([path])
        try f.poll(r.handle)
        append("ial\nnew\n", to: path)
        try f.poll(r.handle)
        #expect(r.log == ["open \(path)@12"])          // after the last complete line
        #expect(r.all == "partial\nnew\n")
        let r2 = Recorder()
        try follower([path], fromStart: true).poll(r2.handle)
        #expect(r2.all == "old 1\nold 2\npartial\nnew\n")
    }

    /// An empty `app.log` followed from start, then `first` appended and read.
    func followedLog(after first: String) throws -> (path: String, r: Recorder, f: Follower) {
        let path = TestSupport.tempDir() + "/app.log"
        append("", to: path)
        let r = Recorder()
        let f = try follower([path])
        try f.poll(r.handle)
        append(first, to: path)
        try f.poll(r.handle)
        return (path, r, f)
    }

    @Test func renameRotation_drainsTheOldFileThenReadsTheNewOneFromItsStart() throws {
        let (path, r, f) = try followedLog(after: "a\n")
        append("b\n", to: path)                        // written before the rename, not yet read
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        append("c\n", to: path)
        try f.poll(r.handle)
        #expect(r.log == ["open \(path)@0", "close \(path)", "open \(path)@0"])
        #expect(r.all == "a\nb\nc\n")
    }

    @Test func deleteAndRecreate_readsTheNewFile() throws {
        let (path, r, f) = try followedLog(after: "a\n")
        try FileManager.default.removeItem(atPath: path)
        try f.poll(r.handle)                           // gone: old file closed, nothing to open yet
        append("b\n", to: path)
        try f.poll(r.handle)
        #expect(r.log == ["open \(path)@0", "close \(path)", "open \(path)@0"])
        #expect(r.all == "a\nb\n")
    }

    @Test func copytruncate_isReportedAndTheFileIsReadAgainFromZero() throws {
        let (path, r, f) = try followedLog(after: "first line\nsecond line\n")
        try FileManager.default.copyItem(atPath: path, toPath: path + ".1")
        let h = FileHandle(forWritingAtPath: path)!
        try h.truncate(atOffset: 0)
        try h.close()
        append("c\n", to: path)
        try f.poll(r.handle)
        #expect(r.log == ["open \(path)@0", "trunc \(path)"])
        #expect(r.all == "first line\nsecond line\nc\n")
    }

    @Test func directories_newFilesInNewSubdirectoriesAreReadOnceWhole() throws {
        let root = TestSupport.tempDir() + "/trail"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        append("old\n", to: root + "/before.json")     // present at start: counts as read
        let r = Recorder()
        let f = try follower([root])
        try f.poll(r.handle)
        #expect(r.log == ["open \(root)/before.json@4", "close \(root)/before.json"])   // recorded, not read
        r.log = []
        try FileManager.default.createDirectory(atPath: root + "/2024/05/01", withIntermediateDirectories: true)
        append("x\n", to: root + "/2024/05/01/a.json")
        try f.poll(r.handle)                           // seen; complete once unchanged (stableSeconds 0)
        try f.poll(r.handle)
        try f.poll(r.handle)
        #expect(r.log == ["open \(root)/2024/05/01/a.json@0", "close \(root)/2024/05/01/a.json"])
        #expect(r.all == "x\n")
        // After a restart with a checkpoint, a file the checkpoint does not know arrived while Vigil
        // was stopped: it is read, not skipped.
        let resumed = Recorder()
        try follower([root], resuming: true).poll(resumed.handle)
        #expect(resumed.all == "x\nold\n")          // in replay order (by path)
    }
}
