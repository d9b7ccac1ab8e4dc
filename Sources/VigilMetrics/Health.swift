import Foundation

/// Liveness and readiness of the tail loop, read by the HTTP thread and written by the loop.
///
/// Why not just "the process is up": a tail whose reading thread is stuck (a hung NFS mount, a
/// deadlock) still answers HTTP. `/healthz` therefore reports healthy only while the loop keeps
/// completing passes: the loop beats after every pass (it passes at least once a second even when
/// idle), and a beat older than `staleAfter` seconds turns it unhealthy. (A reading error ends the
/// process, and the endpoint with it.)
/// `/readyz` turns ready once, when the checkpoint is restored and the inputs are open.
public final class Health: @unchecked Sendable {
    private let lock = NSLock()
    private var lastBeat: Double?
    private var ready = false
    /// Seconds without a completed pass after which `/healthz` answers 503.
    public let staleAfter: Double
    private let clock: () -> Double

    public init(staleAfter: Double = 30, clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.staleAfter = staleAfter
        self.clock = clock
    }

    /// Called after each completed pass of the loop.
    public func beat() { lock.withLock { lastBeat = clock() } }
    /// Called once state is restored and every input is open.
    public func markReady() { lock.withLock { ready = true } }

    /// (healthy, explanation) for `/healthz`.
    public func liveness() -> (ok: Bool, text: String) {
        lock.withLock {
            guard let b = lastBeat else { return (false, "starting: no pass of the tail loop completed yet\n") }
            let age = clock() - b
            if age > staleAfter { return (false, "stalled: last pass of the tail loop \(Int(age)) s ago\n") }
            return (true, "ok\n")
        }
    }

    /// (ready, explanation) for `/readyz`.
    public func readiness() -> (ok: Bool, text: String) {
        lock.withLock { ready ? (true, "ready\n") : (false, "not ready: restoring state and opening inputs\n") }
    }
}
