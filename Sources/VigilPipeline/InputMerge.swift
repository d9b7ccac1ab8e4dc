import DequeModule
import VigilCore
import VigilParsing
import VigilSources
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One input read on demand: the merge asks for its next item, and it reads another chunk only when
/// it has none queued. Why pull and not push: the merge must look at the heads of several inputs
/// at once and take from whichever is earliest, so each input can only run as far as its head.
///
/// Memory: at most one chunk's records wait here (`chunkSize` raw bytes, decoded).
final class InputCursor {
    let input: Input
    /// Rank in the merge order: the last tie-break, so equal (time, event ID) heads leave in a
    /// fixed order whatever the order of the arguments.
    let rank: Int
    private let stream: RecordStream
    private let seek: Int64
    private let chunkSize: Int
    private var fd: Int32 = -1
    private var buffer: UnsafeMutableRawBufferPointer?
    /// An object's bytes (fetched whole when it is opened) and how far they were handed on.
    private var object: [UInt8]?
    private var objectAt = 0
    private var items = Deque<ReadItem>()
    /// The input has ended and every item it had is queued.
    private var ended = false

    init(input: Input, rank: Int, parser: FormatParser, maxRecordBytes: Int, resume: ResumePoint, chunkSize: Int, symbols: SymbolTable) {
        self.input = input
        self.rank = rank
        self.chunkSize = chunkSize
        seek = resume.seek
        stream = RecordStream(name: input.name, parser: parser, maxRecordBytes: maxRecordBytes, resume: resume, symbols: symbols)
    }

    deinit { release() }

    /// Raw bytes read so far (for progress).
    var rawBytes: Int64 { stream.rawBytes }

    /// Opens the descriptor (lazily: only when the merge reaches this input).
    func open() throws {
        switch input {
        case .stdin: fd = 0
        case .file(let p):
            fd = Glibc.open(p, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SourceError.unreadable(p, errno: errno) }
            if seek > 0, lseek(fd, off_t(seek), SEEK_SET) < 0 { throw SourceError.unreadable(p, errno: errno) }
        case .object(let o):
            object = try o.store.bytes(of: o)
            objectAt = Int(min(max(seek, 0), Int64(object!.count)))
        }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
    }

    /// The next item without taking it; nil once everything (its `inputDone` included) was taken.
    func head() throws -> ReadItem? {
        while items.isEmpty && !ended { try fill() }
        return items.first
    }

    /// Takes the head (call after `head()` returned one).
    func pop() -> ReadItem { items.removeFirst() }

    private func fill() throws {
        guard let buf = buffer else { ended = true; return }
        if let bytes = object {
            let n = min(chunkSize, bytes.count - objectAt)
            if n == 0 {
                try stream.finish { items.append($0) }
                ended = true
                release()
            } else {
                try bytes.withUnsafeBytes { try stream.push(UnsafeRawBufferPointer(rebasing: $0[objectAt..<(objectAt + n)])) { items.append($0) } }
                objectAt += n
            }
            return
        }
        let n = Glibc.read(fd, buf.baseAddress, chunkSize)
        if n < 0 {
            if errno == EINTR { return }
            throw SourceError.unreadable(input.name, errno: errno)
        }
        if n == 0 {
            try stream.finish { items.append($0) }
            ended = true
            release()
        } else {
            try stream.push(UnsafeRawBufferPointer(rebasing: buf[0..<n])) { items.append($0) }
        }
    }

    private func release() {
        if fd > 0 { close(fd) }
        fd = -1
        buffer?.deallocate()
        buffer = nil
        object = nil
    }
}

/// Merges several inputs by event time (the Contract's "Order and time"): at each step the input
/// whose next record has the smallest (event time, event ID) goes first; within one input records
/// keep their order. So the same set of files gives the same items in any argument order.
///
/// Inputs are ranked by a key — the time in a CloudTrail object's name, else the time of the
/// file's first record (read once, then the file is closed again), stdin first — and opened lazily:
/// an input is opened when the merge has reached within `window` of its key, so a directory of
/// 20,000 objects holds only the files of about one window open. Records that turn up earlier than
/// what was already merged are passed on at once (the engine counts them `late`), never dropped.
///
/// Items that are not records with a time (dead letters, an input's end) leave as soon as they
/// reach the head of their input: they carry no time to wait for.
///
/// Resuming (`--state`): inputs that had been opened are opened at once, and `frontier` (the newest
/// time merged before the checkpoint) is restored, so the merge goes on in the order the
/// interrupted run would have taken.
final class InputMerger {
    private struct Planned {
        var input: Input
        var key: Int64
        var resume: ResumePoint?
    }
    private var planned: [Planned]
    private var nextPlanned = 0
    private var open: [InputCursor] = []
    /// The newest event time merged so far.
    private(set) var frontier: Int64
    private let window: Int64
    private let parser: FormatParser
    private let maxRecordBytes: Int
    private let chunkSize: Int
    private var sinceProgress = 0
    /// The Strings of repeated values, shared by the inputs (all read on this merger's thread).
    private let symbols = SymbolTable()
    /// Most inputs open at once (for tests and `--stats`).
    private(set) var mostOpen = 0

    init(inputs: [Input], resume: [String: ResumePoint], frontier: Int64?, window: Int64, parser: FormatParser,
         maxRecordBytes: Int, chunkSize: Int = 64 * 1024) throws {
        self.frontier = frontier ?? Int64.min
        self.window = window
        self.parser = parser
        self.maxRecordBytes = maxRecordBytes
        self.chunkSize = chunkSize
        var plan: [Planned] = []
        var seen = Set<Input>()
        for input in inputs where seen.insert(input).inserted {
            plan.append(Planned(input: input, key: try Self.key(of: input, parser: parser, maxRecordBytes: maxRecordBytes),
                                resume: resume[input.name]))
        }
        planned = plan.sorted { a, b in a.key != b.key ? a.key < b.key : a.input.name < b.input.name }
        // What the interrupted run had open is open again, in rank order.
        for (i, p) in planned.enumerated() where p.resume != nil { try openInput(i) }
    }

    /// The merge key of an input: its name time, else its first record's time; stdin (which cannot
    /// be read twice) and inputs without a timed record come first.
    static func key(of input: Input, parser: FormatParser, maxRecordBytes: Int) throws -> Int64 {
        let path: String
        switch input {
        case .stdin: return Int64.min
        case .file(let p): path = p
        case .object(let o): path = o.name
        }
        if let t = InputPlanner.nameTimeMillis(path) { return t }
        let probe = InputCursor(input: input, rank: 0, parser: parser, maxRecordBytes: maxRecordBytes,
                                resume: .beginning, chunkSize: 16 * 1024, symbols: .uninterned)
        try probe.open()
        while let item = try probe.head() {
            if case .event(let e) = item { return e.time }
            _ = probe.pop()
        }
        return Int64.min
    }

    private func openInput(_ i: Int) throws {
        let cursor = InputCursor(input: planned[i].input, rank: i, parser: parser, maxRecordBytes: maxRecordBytes,
                                 resume: planned[i].resume ?? .beginning, chunkSize: chunkSize, symbols: symbols)
        try cursor.open()
        open.append(cursor)
        mostOpen = max(mostOpen, open.count)
        if i >= nextPlanned { nextPlanned = i + 1 }
    }

    /// The next item in merged order, nil when every input is done.
    func next() throws -> ReadItem? {
        sinceProgress += 1
        if sinceProgress >= 1024 {
            sinceProgress = 0
            return .progress(bytes: open.reduce(0) { $0 + $1.rawBytes })
        }
        // The finished inputs leave.
        var i = 0
        while i < open.count {
            if try open[i].head() == nil { open.remove(at: i) } else { i += 1 }
        }
        let choice = try MergeOrder.pick(count: open.count, rank: { open[$0].rank }, head: { try open[$0].head() })
        if let c = choice, c.time == nil { return open[c.index].pop() }
        let best = choice?.index ?? -1
        let bestTime = choice?.time ?? Int64.max
        // Open the next input when nothing is open, or when the merge has come within the
        // window of its key; the state session records it, so a resumed run opens it too.
        if nextPlanned < planned.count {
            let reached = max(frontier, best >= 0 ? bestTime : Int64.min)
            if open.isEmpty || planned[nextPlanned].key <= reached &+ window {
                let name = planned[nextPlanned].input.name
                try openInput(nextPlanned)
                return .opened(name: name)
            }
        }
        guard best >= 0 else { return nil }
        frontier = max(frontier, bestTime)
        return open[best].pop()
    }
}
