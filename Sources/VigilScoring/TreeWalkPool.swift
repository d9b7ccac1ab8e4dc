import Synchronization
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Threads that walk a forest's trees for one query together: the trees are cut into one share per
/// walker (the caller is walker 0), and each walker takes its own share, then any share nobody has
/// taken yet.
///
/// Why this is exact whatever the thread count: a tree's path length depends on that tree and the
/// query alone, each share writes its own trees' slots, and the caller adds the slots in tree order
/// (``ScoreMemo``). Which thread walked which tree changes nothing, so `--threads 1` and
/// `--threads 8` give the same scores bit for bit.
///
/// Why a walker keeps to its own share: so each core's cache holds the same trees query after query.
/// Why shares are still claimed: a helper that is asleep or not scheduled is not waited for; the
/// caller walks what nobody took. While queries come often, helpers poll instead of sleeping (a
/// wake-up costs more than the walk it would share); after ``idleNanoseconds`` without work they sleep, so
/// a quiet `tail` costs no CPU.
public final class TreeWalkPool: @unchecked Sendable {
    /// Helper threads (the caller is the other walker).
    public let helpers: Int
    private let state: State
    private var threads: [pthread_t] = []

    /// `helpers` threads besides the caller's; 0 walks everything on the caller's thread.
    public init(helpers: Int) {
        self.helpers = max(0, helpers)
        state = State()
        for _ in 0..<self.helpers {
            var tid = pthread_t()
            let start = Unmanaged.passRetained(HelperStart(state, walker: threads.count + 1)).toOpaque()
            let rc = pthread_create(&tid, nil, { arg in
                let h = Unmanaged<HelperStart>.fromOpaque(arg!).takeRetainedValue()
                h.state.helperLoop(walker: h.walker)
                return nil
            }, start)
            if rc == 0 { threads.append(tid) } else { Unmanaged<HelperStart>.fromOpaque(start).release() }
        }
    }

    /// A pool for `threads` walkers in all (the caller counts as one), capped at the processors
    /// online: helpers beyond them would only take turns with the caller. Nil for one walker.
    public static func forThreads(_ threads: Int) -> TreeWalkPool? {
        let helpers = min(threads, processors) - 1
        return helpers > 0 ? TreeWalkPool(helpers: helpers) : nil
    }

    /// Processors online.
    public static let processors = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    deinit {
        state.stop()
        for t in threads { pthread_join(t, nil) }
    }

    /// Walkers in all: the helpers and the caller.
    public var walkers: Int { min(threads.count + 1, State.maxShares) }

    /// Runs `work(k)` for every share `k` in `0..<walkers`, share `k` preferably on walker `k` (the
    /// caller is walker 0), and returns when all have run. `work` must touch only what its share
    /// owns.
    func forEachShare(_ work: @escaping (Int) -> Void) {
        let shares = walkers
        guard shares > 1 else {
            work(0)
            return
        }
        state.post(work, shares: shares)
        state.walkShares(walker: 0)
        state.waitDone()
        state.work = nil
    }

    /// Each built tree's expected path length of the query into `paths[t]`, as
    /// ``ForestView/lockstep(trees:_:paths:)`` over all trees would write them.
    func treePaths(_ view: ForestView, _ q: ForestQuery, trees: Int, into paths: UnsafeMutableBufferPointer<Double>) {
        let shares = walkers
        guard shares > 1, trees >= 2 * shares else {
            _ = view.lockstep(trees: 0..<trees, q, paths: paths)
            return
        }
        forEachShare { k in _ = view.lockstep(trees: Self.share(k, of: shares, trees: trees), q, paths: paths) }
    }

    /// The trees of share `k` of `shares`: contiguous, sizes differing by at most one.
    static func share(_ k: Int, of shares: Int, trees: Int) -> Range<Int> { k * trees / shares..<(k + 1) * trees / shares }

    /// What a helper thread starts with.
    final class HelperStart {
        let state: State
        let walker: Int
        init(_ state: State, walker: Int) { (self.state, self.walker) = (state, walker) }
    }

    /// How long a helper polls for work before it sleeps: longer than the gaps between events of
    /// a busy replay (tens of microseconds), short enough that a `tail` of a few events a second
    /// keeps a helper busy only a small share of the time.
    static let idleNanoseconds: UInt64 = 200_000

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// What the caller and the helpers share. Kept apart from the pool so that helpers never hold
    /// the pool itself alive.
    final class State: @unchecked Sendable {
        /// The job word: generation (bits 32…), share count (16…31), one bit per share taken
        /// (0…15). Job fields below are written before a new generation is published and read only
        /// after a share of it was taken.
        let claim = Atomic<UInt64>(0)
        let done = Atomic<Int>(0)
        let sleepers = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        static let maxShares = 16
        var generation: UInt64 = 0
        var work: ((Int) -> Void)?
        /// When the caller last woke sleeping helpers (monotonic nanoseconds).
        var lastWake: UInt64 = 0
        let mutex: UnsafeMutablePointer<pthread_mutex_t>
        let wake: UnsafeMutablePointer<pthread_cond_t>

        init() {
            mutex = .allocate(capacity: 1)
            wake = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(wake, nil)
        }

        deinit {
            pthread_cond_destroy(wake)
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
            wake.deallocate()
        }

        func post(_ w: @escaping (Int) -> Void, shares: Int) {
            work = w
            done.store(0, ordering: .relaxed)
            generation &+= 1
            claim.store(generation << 32 | UInt64(shares) << 16, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                // Sleeping helpers are woken at most once per idle period: when jobs are sparse
                // (a flood of repeated vectors the memo answers), a wake-up per job would cost
                // the caller a system call each time for a helper that arrives too late to help.
                let now = TreeWalkPool.now()
                if now &- lastWake > TreeWalkPool.idleNanoseconds {
                    lastWake = now
                    pthread_mutex_lock(mutex)
                    pthread_cond_broadcast(wake)
                    pthread_mutex_unlock(mutex)
                }
            }
        }

        /// Walks `walker`'s own share of the current job if nobody has, then any share left.
        /// Returns the generation seen (so a helper knows it has finished with it).
        @discardableResult
        func walkShares(walker: Int) -> UInt64 {
            var word = claim.load(ordering: .acquiring)
            let own = UInt64(walker)
            while true {
                let count = (word >> 16) & 0xFFFF
                let free = ~word & ((1 << count) - 1)
                guard free != 0 else { return word >> 32 }
                let k = own < count && free & (1 << own) != 0 ? own : UInt64(free.trailingZeroBitCount)
                let (taken, actual) = claim.compareExchange(expected: word, desired: word | 1 << k, ordering: .acquiringAndReleasing)
                guard taken else { word = actual; continue }
                work!(Int(k))
                done.add(1, ordering: .releasing)
                word = claim.load(ordering: .acquiring)
            }
        }

        /// Waits for the shares other walkers took. Yields the processor after a while: a helper
        /// that took a share and was then descheduled (a busy machine) needs it to finish.
        func waitDone() {
            let count = Int((claim.load(ordering: .relaxed) >> 16) & 0xFFFF)
            var polls = 0
            while done.load(ordering: .acquiring) < count {
                polls += 1
                if polls > 10_000 { sched_yield() }
            }
        }

        func stop() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            generation &+= 1
            claim.store(generation << 32, ordering: .sequentiallyConsistent)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
        }

        func helperLoop(walker: Int) {
            var finished: UInt64 = 0
            while !stopping.load(ordering: .acquiring) {
                var spins = 0
                var since = TreeWalkPool.now()
                while claim.load(ordering: .acquiring) >> 32 == finished {
                    spins += 1
                    // The clock is read every 1,024 polls (a poll takes a few nanoseconds).
                    guard spins & 1023 == 0, TreeWalkPool.now() &- since > TreeWalkPool.idleNanoseconds else { continue }
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while claim.load(ordering: .sequentiallyConsistent) >> 32 == finished
                            && !stopping.load(ordering: .sequentiallyConsistent) {
                        pthread_cond_wait(wake, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    spins = 0
                    since = TreeWalkPool.now()
                }
                if stopping.load(ordering: .acquiring) { return }
                finished = walkShares(walker: walker)
            }
        }
    }
}
