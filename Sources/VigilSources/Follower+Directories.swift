import VigilCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directories: recursive watches, new files noticed by inotify or rescans, each read once when
/// complete (see ``Follower``).
extension Follower {

    func passDirectories(now: Double, _ handle: (FollowEvent) throws -> Void) throws {
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
    func discover(_ dir: String, atStart: Bool) {
        scan(dir, atStart: atStart, now: Follower.now(), recursive: true)
    }

    /// Scans `dir`: new files are noted, new subdirectories are walked. `recursive` walks known
    /// subdirectories too (a full check: polling, or the once-a-second safety net).
    func scan(_ dir: String, atStart: Bool, now: Double, recursive: Bool = false) {
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

    func watch(_ dir: String) {
        guard !watchedDirPaths.contains(dir) else { return }
        watchedDirPaths.insert(dir)
        guard inotifyFD >= 0 else { return }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM)
        let wd = inotify_add_watch(inotifyFD, dir, mask)
        if wd >= 0 { watchedDirs[wd] = dir }
    }

    func watchParent(of path: String) {
        let parent = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        guard inotifyFD >= 0 else { return }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_CLOSE_WRITE)
        let wd = inotify_add_watch(inotifyFD, parent.isEmpty ? "/" : parent, mask)
        if wd >= 0 { watchedDirs[wd] = parent }
    }

    /// Reads pending inotify events: directories with changes are rescanned; files closed after
    /// writing or moved in are complete.
    func drainInotify() {
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

    func isUnderRoot(_ dir: String) -> Bool {
        roots.contains { dir == $0 || dir.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }
}
