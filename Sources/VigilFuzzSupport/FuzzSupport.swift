#if canImport(Glibc)
import Glibc
#endif

/// Shared by the fuzz harnesses: reading files, and replaying crash files through a harness.
public enum FuzzSupport {
    /// The whole file, or nil when it cannot be opened.
    public static func readAll(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return bytes
    }

    /// Runs `harness` once over each file (the way to replay a crash file found by `make fuzz`).
    public static func reproduce(_ paths: ArraySlice<String>, _ harness: (UnsafePointer<UInt8>, Int) -> Int32) {
        for path in paths {
            guard let bytes = readAll(path) else { print("cannot open \(path)"); continue }
            _ = bytes.withUnsafeBufferPointer { harness($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            print("ok \(path)")
        }
    }
}

extension FuzzSupport {
    /// The body every parser harness shares: parse the bytes as one record; whatever parses must
    /// carry a principal and an action and a time that formats.
    public static func parseOne(_ parser: some RecordParser, _ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
        let record = UnsafeRawBufferPointer(start: data, count: size)
        if case .event(let e) = parser.parse(record, position: SourcePosition(input: "fuzz", offset: 0, line: 1)) {
            precondition(!e.principal.isEmpty && !e.action.isEmpty)
            _ = EventTime.format(e.time)
        }
        return 0
    }
}

import VigilCore
import VigilParsing
