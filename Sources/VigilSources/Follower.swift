import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Follows files like `tail -F` and directories recursively, reporting new bytes as they arrive.
///
/// - Files named on the command line are followed by name: a rename rotation or a delete-and-recreate
///   is noticed (device/inode of the path change), the old file is drained to its end, and the new
///   one is read from its start; a copytruncate is noticed when the file becomes shorter than what
///   was read. Present at start, a file is read from its end unless `fromStart` (or a checkpoint
///   says where to resume).
/// - Directories are watched recursively, new subdirectories included. A file in one is read once,
///   whole, when it is complete: closed after writing or moved in (inotify), or its size and mtime
///   unchanged for `stableSeconds` — CloudTrail and similar deliveries write whole new objects.
///   Files present at start count as already read unless `fromStart`.
/// - inotify wakes the loop at once; without it (or with `polling`) the paths are checked every
///   `pollInterval`. Even with inotify, named files are re-checked at least once a second and
///   directories rescanned every 10 s, so a missed event only costs latency.
///
/// The follower never interprets bytes; the wall clock decides only when to look and when a
/// directory file counts as complete, never what is read or in which order within a file.
public final class Follower {
    public struct Options: Sendable {
        public var fromStart = false
        public var polling = false
        public var pollInterval = 0.25
        public var stableSeconds = 2.0
        /// A checkpoint exists: files in followed directories that it does not know arrived while
        /// Vigil was stopped, and are read (not skipped as "present at start").
        public var resuming = false
        /// Most bytes read from one file per pass, so one busy file cannot starve the others.
        public var maxBytesPerPass = 8 << 20
        public init() {}
    }

    /// Answers "where does this file resume?" from a checkpoint.
    public enum Resume {
        /// The checkpointed file: resume there.
        case at(ResumePoint)
        /// Read to its end before.
        case done
        /// The checkpoint knew this path, but this is a newer file: read it from its start.
        case fresh
        /// A newer file; the checkpointed one was rotated to this path: finish it first from the point.
        case rotated(String, ResumePoint)
        /// Not in the checkpoint.
        case unknown
    }
    public typealias Resolver = (_ path: String, _ fd: Int32) -> Resume

    let options: Options
    let resolve: Resolver
    var nextID = 1
    private var files: [NamedFile] = []        // command-line files, followed by name
    private var stdinFile: FollowedFile?
    private var stdinOpen = false
    var roots: [String] = []
    var dirFiles: [String: DirFile] = [:]
    var dirtyDirs: Set<String> = []
    var watchedDirs: [Int32: String] = [:]
    var watchedDirPaths: Set<String> = []
    var inotifyFD: Int32 = -1
    var lastFullCheck = 0.0
    let buffer: UnsafeMutableRawBufferPointer
    static let chunk = 256 * 1024

    final class NamedFile {
        let path: String
        var current: FollowedFile?
        var presentAtStart: Bool
        init(path: String, presentAtStart: Bool) { self.path = path; self.presentAtStart = presentAtStart }
    }

    struct DirFile {
        var size: Int64
        var mtime: Int64
        var changedAt: Double
        var complete = false
        var done = false
        /// Present at start without --from-start: opened at its end, so it is recorded as read.
        var skip = false
    }

    /// Sets up watches. Throws for a path that does not exist (a named file may disappear later,
    /// but it has to exist at start so that a typo is an error, not a silent wait).
    public init(paths: [String], options: Options = Options(), resolve: @escaping Resolver) throws(SourceError) {
        self.options = options
        self.resolve = resolve
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk, alignment: 16)
        if !options.polling {
            inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        }
        for p in paths {
            if p == "-" { stdinOpen = true; continue }
            var st = stat()
            guard stat(p, &st) == 0 else { throw .notFound(p) }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                roots.append(p)
            } else {
                files.append(NamedFile(path: p, presentAtStart: true))
                watchParent(of: p)
            }
        }
        for r in roots { discover(r, atStart: true) }
    }

    deinit {
        for f in files { if let c = f.current { close(c.fd) } }
        if inotifyFD >= 0 { close(inotifyFD) }
        buffer.deallocate()
    }

    /// True while something can still produce data (stdin alone ends at its end of input).
    public var isLive: Bool { stdinOpen || !files.isEmpty || !roots.isEmpty }

    /// Whether inotify is in use (false: polling).
    public var usesInotify: Bool { inotifyFD >= 0 }

    /// One pass: reads whatever is available now from every followed input, in a stable order
    /// (named files as given, then complete directory files in replay order, then stdin).
    public func poll(_ handle: (FollowEvent) throws -> Void) throws {
        let now = Follower.now()
        drainInotify()
        // A full, recursive rescan: every poll without inotify; with it, every 10 s as a safety net
        // for events lost to a queue overflow or a filesystem that does not report them all.
        if inotifyFD < 0 || now - lastFullCheck >= 10 {
            for r in roots { dirtyDirs.insert(r) }
            lastFullCheck = now
        }
        for f in files { try pass(f, handle) }
        try passDirectories(now: now, handle)
        try passStdin(handle)
    }

    /// Blocks until inotify reports something, stdin has data, or `timeout` seconds pass
    /// (interrupted early by signals).
    public func wait(timeout: Double) {
        var fds: [pollfd] = []
        if inotifyFD >= 0 { fds.append(pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)) }
        if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
        var t = inotifyFD >= 0 ? timeout : min(timeout, options.pollInterval)
        if dirFiles.values.contains(where: { !$0.done && !$0.complete }) { t = min(t, 0.25) }
        _ = Glibc.poll(&fds, nfds_t(fds.count), Int32(max(1, t * 1000)))
    }

    // MARK: named files

    private func pass(_ f: NamedFile, _ handle: (FollowEvent) throws -> Void) throws {
        if f.current == nil { try open(f, handle) }
        guard let cur = f.current else { return }
        try read(cur, handle)
        var st = stat()
        if fstat(cur.fd, &st) == 0, Int64(st.st_size) < cur.offset {
            // copytruncate: the content was copied elsewhere and this file emptied.
            try handle(.truncated(cur))
            cur.offset = 0
            guard lseek(cur.fd, 0, SEEK_SET) >= 0 else { throw SourceError.unreadable(f.path, errno: errno) }
            try read(cur, handle)
        }
        var now = stat()
        let moved = stat(f.path, &now) != 0 || UInt64(now.st_ino) != cur.inode || UInt64(now.st_dev) != cur.device
        if moved {
            // Renamed away or deleted: what was written to the old file before the switch is read
            // to its end, then the path is followed again from the new file's start.
            try read(cur, handle, limit: Int.max)
            try handle(.closed(cur))
            close(cur.fd)
            f.current = nil
            f.presentAtStart = false
            try open(f, handle)
            if let c = f.current { try read(c, handle) }
        }
    }

    private func open(_ f: NamedFile, _ handle: (FollowEvent) throws -> Void) throws {
        let fd = Glibc.open(f.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }    // not there (yet): rotation in progress
        var start = ResumePoint.beginning
        var resumed = false
        switch resolve(f.path, fd) {
        case .at(let p): start = p; resumed = true
        case .done: start = ResumePoint(seek: Follower.fileSize(fd), line: 1, skipThrough: -1); resumed = true
        case .fresh: break
        case .rotated(let sibling, let p):
            // Rotated while Vigil was down: finish the old file under its new name first.
            let old = Glibc.open(sibling, O_RDONLY | O_CLOEXEC)
            if old >= 0 {
                defer { Glibc.close(old) }
                if p.seek > 0 { _ = lseek(old, off_t(p.seek), SEEK_SET) }
                let file = FollowedFile(id: nextID, path: f.path, name: sibling, fd: old, start: p, whole: false, fromCheckpoint: true)
                nextID += 1
                try handle(.opened(file))
                try read(file, handle, limit: Int.max)
                try handle(.closed(file))
            }
        case .unknown:
            if f.presentAtStart && !options.fromStart { start = Follower.endPoint(fd) }
        }
        if start.seek > 0 { _ = lseek(fd, off_t(start.seek), SEEK_SET) }
        let file = FollowedFile(id: nextID, path: f.path, fd: fd, start: start, whole: false, fromCheckpoint: resumed)
        nextID += 1
        f.current = file
        try handle(.opened(file))
    }

    /// Where reading "from the end" starts: after the last complete line, so a line being written
    /// at that moment is read whole once its newline arrives. Counts lines for positions.
    static func endPoint(_ fd: Int32) -> ResumePoint {
        let size = fileSize(fd)
        guard size > 0 else { return .beginning }
        var lines: Int64 = 1
        var lastNewlineEnd: Int64 = 0
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var off: Int64 = 0
        while off < size {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(off)) }
            if n <= 0 { break }
            for i in 0..<n where buf[i] == 10 {
                lines += 1
                lastNewlineEnd = off + Int64(i) + 1
            }
            off += Int64(n)
        }
        // `lines` counted every newline up to the end; the line at `lastNewlineEnd` is the one after
        // the last newline.
        return ResumePoint(seek: lastNewlineEnd, line: lines, skipThrough: lastNewlineEnd - 1)
    }

    func read(_ f: FollowedFile, _ handle: (FollowEvent) throws -> Void, limit: Int? = nil) throws {
        var budget = limit ?? options.maxBytesPerPass
        while budget > 0 {
            let n = Glibc.read(f.fd, buffer.baseAddress, min(Self.chunk, budget))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { return }
                throw SourceError.unreadable(f.path, errno: errno)
            }
            if n == 0 { return }
            f.offset += Int64(n)
            budget -= n
            try handle(.data(f, UnsafeRawBufferPointer(rebasing: buffer[0..<n])))
        }
    }

    // MARK: stdin

    private func passStdin(_ handle: (FollowEvent) throws -> Void) throws {
        guard stdinOpen else { return }
        if stdinFile == nil {
            let f = FollowedFile(id: nextID, path: "-", fd: 0, start: .beginning, whole: false)
            nextID += 1
            stdinFile = f
            try handle(.opened(f))
        }
        guard let f = stdinFile else { return }
        while true {
            var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&p, 1, 0) > 0 else { return }
            let n = Glibc.read(0, buffer.baseAddress, Self.chunk)
            if n < 0 { if errno == EINTR { continue }; if errno == EAGAIN { return }; throw SourceError.unreadable("-", errno: errno) }
            if n == 0 {
                try handle(.closed(f))
                stdinOpen = false
                return
            }
            f.offset += Int64(n)
            try handle(.data(f, UnsafeRawBufferPointer(rebasing: buffer[0..<n])))
        }
    }

    static func fileSize(_ fd: Int32) -> Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
