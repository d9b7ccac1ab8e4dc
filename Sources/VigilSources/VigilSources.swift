/// # VigilSources
///
/// Where bytes come from: files, directories (walked recursively and ordered as the Contract says)
/// and stdin, read whole (replay) or followed as they grow (``Follower``: rotation, new files,
/// inotify or polling). A source knows nothing about compression or formats; it hands raw chunks
/// onward, with the identity (``FileIdentity``) and positions checkpoints need.
///
/// ```swift
/// let inputs = try InputPlanner.expand(["logs/", "-"])   // ordered inputs
/// try ChunkReader.read(inputs[0]) { chunk, final in ... } // 256 KiB chunks
/// let f = try Follower(paths: ["app.log"]) { _, _ in .unknown }
/// try f.poll { event in ... }                              // .opened, .data, .truncated, .closed
/// ```
public enum VigilSources {}

/// Why an input could not be read (the CLI exits 3).
public enum SourceError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case unreadable(String, errno: Int32)
    /// An object store's object could not be fetched (after its client's retries): why, in words.
    case remote(String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let p): return "input not found: \(p)"
        case .unreadable(let p, let e): return "cannot read \(p): \(String(cString: strerror(e)))"
        case .remote(let p, let why): return "cannot read \(p): \(why)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
