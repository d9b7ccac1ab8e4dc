import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs an action's program directly (`posix_spawn`, never a shell): values reach it only as argv
/// elements and environment variables, so a principal named `x; rm -rf /` is one harmless argument.
/// The program gets its own process group and is killed (SIGKILL to the group) at the timeout.
public enum CommandRunner {
    public struct Result: Sendable {
        public var exitCode: Int32?
        public var timedOut: Bool
        public var succeeded: Bool { exitCode == 0 && !timedOut }
    }

    /// `argv[0]` is looked up in `PATH` when it has no `/`. Output goes to `logPath` (or nowhere).
    public static func run(_ argv: [String], environment extra: [String: String], timeout: Double, logPath: String?) -> Result {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        let envStrings = env.map { "\($0.key)=\($0.value)" }.sorted()
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let out = logPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = envStrings.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) }; for p in cEnv { free(p) } }
        let rc = cArgs.withUnsafeBufferPointer { a in
            cEnv.withUnsafeBufferPointer { e in
                posix_spawnp(&pid, argv[0], &actions, &attr, UnsafeMutablePointer(mutating: a.baseAddress!),
                             UnsafeMutablePointer(mutating: e.baseAddress!))
            }
        }
        guard rc == 0 else { return Result(exitCode: nil, timedOut: false) }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return Result(exitCode: nil, timedOut: false) }
            if Date() >= deadline {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return Result(exitCode: nil, timedOut: true)
            }
            usleep(10_000)
        }
        let exited = (status & 0x7f) == 0
        return Result(exitCode: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), timedOut: false)
    }
}
