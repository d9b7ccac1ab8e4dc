import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The progress line replay shows on a terminal: bytes, events/s and ETA on stderr, redrawn at most
/// four times a second, erased at the end. Nothing when stderr is not a terminal or with --quiet.
/// Wall-clock time is used for display only; it never reaches detection.
final class ProgressLine {
    private let total: Int64?
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    /// nil when stderr is not a terminal or the user asked for quiet.
    static func make(quiet: Bool, paths: [String]) -> ProgressLine? {
        guard !quiet, isatty(2) != 0 else { return nil }
        return ProgressLine(total: totalBytes(paths))
    }

    private init(total: Int64?) { self.total = total }

    func update(bytes: Int64, events: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.25 else { return }
        lastDraw = now
        let elapsed = max(0.001, now.timeIntervalSince(start))
        var line = "\(Self.size(bytes))"
        if let t = total, t > 0 { line += " of \(Self.size(t))" }
        line += "  \(events) events  \(Int(Double(events) / elapsed)) events/s"
        if let t = total, t > 0, bytes > 0 {
            let remaining = Double(t - bytes) / (Double(bytes) / elapsed)
            line += "  ETA \(Int(remaining) / 60):" + String(format: "%02d", Int(remaining) % 60)
        }
        write("\r\u{1B}[K" + line)
        drawn = true
    }

    func finish() {
        if drawn { write("\r\u{1B}[K") }
    }

    private func write(_ s: String) {
        _ = s.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    static func size(_ b: Int64) -> String {
        b >= 1 << 30 ? String(format: "%.1f GB", Double(b) / 1_073_741_824) : String(format: "%.1f MB", Double(b) / 1_048_576)
    }

    /// Sum of the sizes of the files under `paths`; nil when stdin is among them (size unknown).
    static func totalBytes(_ paths: [String]) -> Int64? {
        var total: Int64 = 0
        for p in paths {
            if p == "-" { return nil }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                let e = FileManager.default.enumerator(atPath: p)
                while let rel = e?.nextObject() as? String {
                    total += ((try? FileManager.default.attributesOfItem(atPath: p + "/" + rel))?[.size] as? Int64) ?? 0
                }
            } else {
                total += ((try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? Int64) ?? 0
            }
        }
        return total
    }
}
