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
    private var nextID = 1
    private var files: [NamedFile] = []        // command-line files, followed by name
    private var stdinFile: FollowedFile?
    private var stdinOpen = false
    private var roots: [String] = []
    private var dirFiles: [String: DirFile] = [:]
    private var dirtyDirs: Set<String> = []
    private var watchedDirs: [Int32: String] = [:]
    private var watchedDirPaths: Set<String> = []
    private var inotifyFD: Int32 = -1
    private var lastFullCheck = 0.0
    private let buffer: UnsafeMutableRawBufferPointer
    private static let chunk = 256 * 1024

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

    private func read(_ f: FollowedFile, _ handle: (FollowEvent) throws -> Void, limit: Int? = nil) throws {
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

    // MARK: directories

    private func passDirectories(now: Double, _ handle: (FollowEvent) throws -> Void) throws {
        let dirs = dirtyDirs
        dirtyDirs = []
        let full = dirs.contains { roots.contains($0) }
        for d in dirs.sorted() { scan(d, atStart: false, now: now, recursive: full) }
        var ready: [String] = []
        for (path, var f) in dirFiles where !f.done {
            var st = stat()
            guard stat(path, &st) == 0 else { dirFiles[path] = nil; continue }
            let size = Int64(st.st_size), mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            if size != f.size || mtime != f.mtime {
                f.size = size
                f.mtime = mtime
                f.changedAt = now
                f.complete = false
            }
            if f.complete || now - f.changedAt >= options.stableSeconds { ready.append(path) }
            dirFiles[path] = f
        }
        for path in InputPlanner.order(ready) {
            dirFiles[path]?.done = true
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var start = ResumePoint.beginning
            var resumed = false
            switch resolve(path, fd) {
            case .at(let p): start = p; resumed = true
            case .done: continue
            case .fresh, .rotated, .unknown:
                if dirFiles[path]?.skip == true { start = ResumePoint(seek: Follower.fileSize(fd)) }
            }
            if start.seek > 0 { _ = lseek(fd, off_t(start.seek), SEEK_SET) }
            let file = FollowedFile(id: nextID, path: path, fd: fd, start: start, whole: true, fromCheckpoint: resumed)
            nextID += 1
            try handle(.opened(file))
            try read(file, handle, limit: Int.max)
            try handle(.closed(file))
        }
    }

    /// Walks a directory tree, watching each directory and noting files not yet known. At start,
    /// files already there count as read unless `fromStart` (or a checkpoint says otherwise).
    private func discover(_ dir: String, atStart: Bool) {
        scan(dir, atStart: atStart, now: Follower.now(), recursive: true)
    }

    /// Scans `dir`: new files are noted, new subdirectories are walked. `recursive` walks known
    /// subdirectories too (a full check: polling, or the once-a-second safety net).
    private func scan(_ dir: String, atStart: Bool, now: Double, recursive: Bool = false) {
        watch(dir)
        for path in InputPlanner.entries(dir) ?? [] {
            // Known files need no stat: a rescan of a large delivery tree is then one readdir per
            // directory plus a lookup per name.
            if dirFiles[path] != nil { continue }
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if !watchedDirPaths.contains(path) || recursive { scan(path, atStart: atStart, now: now, recursive: recursive) }
            } else if (st.st_mode & S_IFMT) == S_IFREG, dirFiles[path] == nil {
                var f = DirFile(size: Int64(st.st_size), mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                                changedAt: now)
                if atStart {
                    // Present at start: complete. Read now with --from-start, or when resuming (the
                    // checkpoint knows what was read; a file it does not know arrived while Vigil was
                    // stopped); otherwise counted as already read, without reading it.
                    f.complete = true
                    f.skip = !options.fromStart && !options.resuming
                }
                dirFiles[path] = f
            }
        }
    }

    private func watch(_ dir: String) {
        guard !watchedDirPaths.contains(dir) else { return }
        watchedDirPaths.insert(dir)
        guard inotifyFD >= 0 else { return }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM)
        let wd = inotify_add_watch(inotifyFD, dir, mask)
        if wd >= 0 { watchedDirs[wd] = dir }
    }

    private func watchParent(of path: String) {
        let parent = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        guard inotifyFD >= 0 else { return }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_CLOSE_WRITE)
        let wd = inotify_add_watch(inotifyFD, parent.isEmpty ? "/" : parent, mask)
        if wd >= 0 { watchedDirs[wd] = parent }
    }

    /// Reads pending inotify events: directories with changes are rescanned; files closed after
    /// writing or moved in are complete.
    private func drainInotify() {
        guard inotifyFD >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(inotifyFD, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            var i = 0
            while i + MemoryLayout<inotify_event>.size <= n {
                let (wd, mask, len) = buf.withUnsafeBytes { b -> (Int32, UInt32, Int) in
                    let ev = b.loadUnaligned(fromByteOffset: i, as: inotify_event.self)
                    return (ev.wd, ev.mask, Int(ev.len))
                }
                let nameStart = i + MemoryLayout<inotify_event>.size
                let nameBytes = buf[nameStart..<min(n, nameStart + len)].prefix { $0 != 0 }
                i = nameStart + len
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    for r in roots { dirtyDirs.insert(r) }
                    continue
                }
                guard let dir = watchedDirs[wd], isUnderRoot(dir) else { continue }
                dirtyDirs.insert(dir)
                if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0, !nameBytes.isEmpty {
                    let path = (dir.hasSuffix("/") ? dir : dir + "/") + String(decoding: nameBytes, as: UTF8.self)
                    if dirFiles[path] == nil { scan(dir, atStart: false, now: Follower.now()) }
                    if dirFiles[path]?.done == false { dirFiles[path]?.complete = true }
                }
            }
        }
    }

    private func isUnderRoot(_ dir: String) -> Bool {
        roots.contains { dir == $0 || dir.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
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
