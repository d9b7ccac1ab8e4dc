// libFuzzer harness for the CloudTrail and S3 access fast paths against their full parsers:
// arbitrary bytes as one record through both (whatever a fast path accepts must give the full
// parser's event, field for field and key for key, with and without a small symbol table that
// persists across inputs, so it fills and starts over), then as a stream of JSON lines through the framer with and without whole lines offered
// to the fast path (the same events and dead letters, at the same offsets). Any trap is a finding.
// Built by `make fuzz`; otherwise a reproducer over files.
import VigilCore
import VigilFraming
import VigilParsing
import VigilFuzzSupport

let parser = CloudTrailParser(keepAllRaw: true)
let formats = FormatParser(format: nil, keepAllRaw: true)
let s3 = S3AccessParser(keepAllRaw: true)
let symbols = SymbolTable(maxEntries: 64, maxBytes: 8192)


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFastPath(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let position = SourcePosition(input: "fuzz", offset: 0, line: 1)
    if let fast = parser.parseFast(bytes, position: position) {
        precondition(fast == parser.parseFull(bytes, position: position), "fast path and full parser disagree")
        precondition(parser.parseFast(bytes, position: position, symbols: symbols) == fast, "the symbol table changed the event")
    }
    if let fast = s3.parseFast(bytes, position: position, symbols: symbols) {
        precondition(fast == s3.parseFull(bytes, position: position).withKeys(), "S3 access fast path and full parser disagree")
    }
    precondition(parser.parse(bytes, position: position) == parser.parseFull(bytes, position: position))
    // As a stream: the first line decides the framing mode, then lines are offered (or not).
    precondition(frames(bytes, offer: true) == frames(bytes, offer: false), "offering lines changed the frames")
    return 0
}

/// What framing and parsing `bytes` as one input gives: each record's result and place, or each
/// bad span's reason and place.
func frames(_ bytes: UnsafeRawBufferPointer, offer: Bool) -> [String] {
    var framer = JSONFramer(maxRecordBytes: 512)
    var out: [String] = []
    func parse(_ r: UnsafeRawBufferPointer, _ o: Int64, _ l: Int64) -> String {
        "\(o):\(l) \(formats.parse(r, position: SourcePosition(input: "fuzz", offset: o, line: l)))"
    }
    let emit: (Frame) -> Void = { frame in
        switch frame {
        case let .record(r, o, l): out.append(parse(r, o, l))
        case let .bad(reason, _, length, o, l): out.append("\(o):\(l) bad \(reason) \(length)")
        }
    }
    let take: (UnsafeRawBufferPointer, Int64, Int64) -> Bool = { line, o, l in
        guard offer else { return false }
        switch formats.parseLine(line, position: SourcePosition(input: "fuzz", offset: o, line: l), countOnly: false) {
        case .fallback: return false
        case .counted: return true
        case let .record(result, _): out.append("\(o):\(l) \(result)"); return true
        }
    }
    framer.push(bytes, take: take, emit: emit)
    framer.finish(emit: emit)
    return out
}

#if !FUZZING
/// Without libFuzzer (ordinary builds), the harness runs once over each file named on the command
/// line: the way to replay a crash file found by `make fuzz`.
@main
struct Reproducer {
    static func main() {
        FuzzSupport.reproduce(CommandLine.arguments.dropFirst(), fuzzFastPath)
    }
}
#endif
