// libFuzzer harness for decoding and framing: arbitrary bytes through StreamDecoder and
// JSONFramer (or, first byte's high bit set, AdaptiveFramer: JSON or text lines), fed in chunks whose sizes come from the input itself. Any trap is a finding.
// Built by `make fuzz` (-D FUZZING, -parse-as-library, libFuzzer supplies main); in ordinary
// builds this is a reproducer: `FuzzFraming FILE...` runs each file once.
import VigilCore
import VigilFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFraming(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let chunk = size > 0 ? Int(bytes[0] % 64) + 1 : 1
    let adaptive = size > 0 && bytes[0] & 0x80 != 0   // high bit: the JSON-or-lines framer
    let decoder = StreamDecoder(outputChunk: 97)
    var framer = JSONFramer(maxRecordBytes: 256)
    var lines = AdaptiveFramer(maxRecordBytes: 256)
    var records = 0
    var i = 0
    repeat {
        let end = min(size, i + chunk)
        let piece = UnsafeRawBufferPointer(rebasing: bytes[i..<end])
        do {
            try decoder.decode(piece, final: end == size) { out in
                let check: (Frame) -> Void = { frame in
                    if case .record(let r, _, _) = frame { precondition(r.count <= 256); records += 1 }
                }
                if adaptive { lines.push(out, emit: check) } else { framer.push(out, emit: check) }
            }
        } catch {
            break
        }
        i = end
    } while i < size
    framer.finish { _ in }
    lines.finish { _ in }
    return 0
}
