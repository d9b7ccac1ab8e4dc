#if !FUZZING
#if canImport(Glibc)
import Glibc
#endif

/// Without libFuzzer (ordinary builds), the harness runs once over each file named on the command
/// line: the way to replay a crash file found by `make fuzz`.
@main
struct Reproducer {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let f = fopen(path, "rb") else { print("cannot open \(path)"); continue }
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                bytes += buf[0..<n]
            }
            fclose(f)
            _ = bytes.withUnsafeBufferPointer { fuzzFraming($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            print("ok \(path)")
        }
    }
}
#endif
