#if canImport(Glibc)
import Glibc
#endif

/// Set by the SIGINT/SIGTERM handler; read by the run loops between records. A plain flag is all
/// a signal handler may safely touch.
nonisolated(unsafe) private var stopSignal: Int32 = 0

/// Graceful stop for long runs (tail, replay with --state): the first SIGINT or SIGTERM asks the
/// run to finish the record in hand, write a checkpoint and exit; a second one kills at once.
enum Signals {
    static func install() {
        let handler: @convention(c) (Int32) -> Void = { sig in
            if stopSignal != 0 {
                signal(sig, SIG_DFL)
                raise(sig)
            }
            stopSignal = sig
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    static var stopRequested: Bool { stopSignal != 0 }
    /// The signal that asked to stop (0: none).
    static var received: Int32 { stopSignal }
}
