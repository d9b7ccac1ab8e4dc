import Foundation
import Testing
@testable import VigilPipeline
import VigilCore
import VigilParsing
import VigilSources
import VigilTestSupport

/// The event-time merge of several inputs, read as the Contract states it: the input whose next
/// record has the smallest (event time, event ID) goes first; within an input, records keep their
/// order; files are opened only when the merge comes within the window of their key.
@Suite struct InputMergeTests {
    /// A CloudTrail line at minute `m` of 2026-11-02 (seconds `s`), with event ID `id`.
    static func line(_ id: String, _ m: Int, _ s: Int = 0) -> String {
        let mm = m < 10 ? "0\(m)" : "\(m)", ss = s < 10 ? "0\(s)" : "\(s)"
        return TestSupport.cloudTrail(id: id, time: "2026-11-02T10:\(mm):\(ss)Z") + "\n"
    }

    /// Every item the merge hands out, as short labels: event IDs, `open:<file>`, `dead`, `done:<file>`.
    static func drain(_ inputs: [Input], window: Int64 = 15 * EventTime.minute, resume: [String: ResumePoint] = [:],
                      frontier: Int64? = nil) throws -> (labels: [String], mostOpen: Int) {
        let m = try InputMerger(inputs: inputs, resume: resume, frontier: frontier, window: window,
                                parser: FormatParser(format: nil), maxRecordBytes: 1 << 20)
        var out: [String] = []
        while let item = try m.next() {
            switch item {
            case .event(let e): out.append(e.id)
            case .opened(let name): out.append("open:" + (name as NSString).lastPathComponent)
            case .dead: out.append("dead")
            case .inputDone(let name, _): out.append("done:" + (name as NSString).lastPathComponent)
            case .progress, .parsed: break
            }
        }
        return (out, m.mostOpen)
    }

    static func files(_ contents: [(String, String)]) -> [Input] {
        let dir = TestSupport.tempDir()
        return contents.map { .file(write(Array($0.1.utf8), $0.0, in: dir)) }
    }

    @Test("records from interleaving files leave earliest first, ties by event ID, each file in its own order")
    func interleaving() throws {
        let inputs = Self.files([
            ("a.jsonl", Self.line("a1", 1) + Self.line("a2", 4) + Self.line("a3", 9)),
            ("b.jsonl", Self.line("b1", 2) + Self.line("b2", 4) + Self.line("b3", 5)),
            ("c.jsonl", Self.line("c1", 3) + Self.line("c0", 2)),    // out of its own order: kept
        ])
        let events = try Self.drain(inputs).labels.filter { !$0.contains(":") }
        #expect(events == ["a1", "b1", "c1", "c0", "a2", "b2", "b3", "a3"])
        let reversed = try Self.drain(inputs.reversed()).labels.filter { !$0.contains(":") }
        #expect(reversed == events)
    }

    @Test("a record that cannot be used leaves as soon as it heads its file; each file's end follows its last record")
    func untimedItems() throws {
        let inputs = Self.files([
            ("a.jsonl", Self.line("a1", 1) + "{not json\n" + Self.line("a2", 5)),
            ("b.jsonl", Self.line("b1", 2) + Self.line("b2", 3)),
        ])
        let labels = try Self.drain(inputs).labels
        #expect(labels == ["open:a.jsonl", "open:b.jsonl", "a1", "dead", "b1", "b2", "done:b.jsonl", "a2", "done:a.jsonl"])
    }

    @Test("files are opened lazily: only when the merge comes within the window of the time in their names")
    func lazyOpening() throws {
        // One CloudTrail object per 5 minutes over 2 hours, records 2 minutes before the name time.
        var specs: [(String, String)] = []
        for k in 0..<24 {
            let minute = 5 * k + 5
            let name = String(format: "123456789012_CloudTrail_us-east-1_20261102T%02d%02dZ_x%02d.json", 10 + minute / 60, minute % 60, k)
            let t = minute - 2
            specs.append((name, TestSupport.cloudTrail(id: "e\(k)", time: String(format: "2026-11-02T%02d:%02d:00Z", 10 + t / 60, t % 60)) + "\n"))
        }
        let inputs = Self.files(specs.reversed())
        let (labels, mostOpen) = try Self.drain(inputs, window: 15 * EventTime.minute)
        #expect(labels.filter { $0.hasPrefix("e") } == (0..<24).map { "e\($0)" })
        #expect(mostOpen <= 5, "at most about one window's objects are open")
        // A file is opened before any record later than its name time minus the window leaves.
        let firstOpen = labels.firstIndex(of: "open:" + specs[10].0)!
        #expect(firstOpen < labels.firstIndex(of: "e8")!)
        #expect(firstOpen > labels.firstIndex(of: "e6")!)
    }

    @Test("resuming with what the interrupted run had opened and merged goes on in the same order")
    func resumeOrder() throws {
        let inputs = Self.files([
            ("a.jsonl", Self.line("a1", 1) + Self.line("a2", 6) + Self.line("a3", 7)),
            ("b.jsonl", Self.line("b1", 2) + Self.line("b2", 5)),
            ("c.jsonl", Self.line("c1", 40) + Self.line("c2", 41)),
        ])
        let full = try Self.drain(inputs, window: 10 * EventTime.minute).labels.filter { !$0.contains(":") }
        #expect(full == ["a1", "b1", "b2", "a2", "a3", "c1", "c2"])
        // Interrupted after a1 and b1: a resumes after its first line, b after its first, c unopened.
        let a1 = Int64(Self.line("a1", 1).utf8.count), b1 = Int64(Self.line("b1", 2).utf8.count)
        let resume: [String: ResumePoint] = [
            inputs[0].name: ResumePoint(seek: a1, line: 2, skipThrough: -1),
            inputs[1].name: ResumePoint(seek: b1, line: 2, skipThrough: -1),
        ]
        let frontier = EventTime.parse("2026-11-02T10:02:00Z")!
        let rest = try Self.drain(inputs, window: 10 * EventTime.minute, resume: resume, frontier: frontier).labels.filter { !$0.contains(":") }
        #expect(rest == Array(full.dropFirst(2)))
    }
}
