import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file (or stdin) being read by a `Follower`. The pipeline keeps one record stream per
/// `FollowedFile`, keyed by `id`, because after a rotation two files can share one path.
public final class FollowedFile {
    public let id: Int
    /// The path it is followed under (`-` for stdin): the key of its checkpoint entry.
    public let path: String
    /// Where its bytes come from now: `path`, or the name a rotation gave it (`app.log.1`), for
    /// positions shown to people.
    public let name: String
    /// Where reading began (a checkpoint, the start, or the end of a file present at start).
    public let start: ResumePoint
    /// A file inside a followed directory: read once, whole, then closed.
    public let whole: Bool
    /// Reading continues where a checkpoint left this file (its checkpoint entry stays).
    public let fromCheckpoint: Bool
    let fd: Int32
    /// Raw bytes read (offset of the next read).
    public internal(set) var offset: Int64
    /// Device and inode at open, to notice rename and delete-and-recreate.
    let device: UInt64, inode: UInt64

    init(id: Int, path: String, name: String? = nil, fd: Int32, start: ResumePoint, whole: Bool, fromCheckpoint: Bool = false) {
        self.id = id
        self.fromCheckpoint = fromCheckpoint
        self.path = path
        self.name = name ?? path
        self.fd = fd
        self.start = start
        self.whole = whole
        offset = start.seek
        var st = stat()
        if fstat(fd, &st) == 0 { device = UInt64(st.st_dev); inode = UInt64(st.st_ino) } else { device = 0; inode = 0 }
    }

    /// The file's identity now (for checkpoints); nil for stdin.
    public func identity() -> FileIdentity? { fd == 0 ? nil : FileIdentity.of(fd: fd) }
}

/// What a `Follower` reports, in the order the pipeline must handle it.
public enum FollowEvent {
    /// Reading of a file begins; data follows.
    case opened(FollowedFile)
    /// New bytes of a file (valid during the callback only).
    case data(FollowedFile, UnsafeRawBufferPointer)
    /// The file shrank below what was read (copytruncate): what follows starts a new stream at 0.
    case truncated(FollowedFile)
    /// The file ended for good (rotated away or deleted and drained, a directory file read whole,
    /// stdin at end of input): flush a last record without newline.
    case closed(FollowedFile)
}
