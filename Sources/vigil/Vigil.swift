import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The `vigil` command. It only wires: every subcommand builds a pipeline and hands it inputs.
@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Real-time access-anomaly detection for cloud audit logs.",
        discussion: """
        Vigil learns how each principal (IAM user, role, access key) normally behaves, in event time, and raises explained alerts (JSON lines, schema vigil.alert/1) when one starts behaving unlike itself, or performs a curated high-risk action (logging stopped, keys created for others, snapshots shared out, ...).

        Quick start:
          vigil simulate --cloud aws,gcp,azure --out SampleLogs/demo   # an organisation with attacks
          vigil replay --output text SampleLogs/demo/logs              # explained alerts
          vigil eval --labels SampleLogs/demo/labels.csv SampleLogs/demo/logs

        Exit codes: 0 success (alerts or not), 2 usage or configuration error, 3 unreadable input, 4 state error.

        'vigil --version' prints the version and the commit it was built from; 'vigil --generate-completion-script bash|zsh|fish' prints shell completions ('make install' installs them).
        """,
        subcommands: [Replay.self, Tail.self, Report.self, Train.self, Eval.self, Score.self, Simulate.self, Audit.self, Rules.self,
                      Route.self, Worker.self, Alerts.self]
    )

    /// Runs the command, mapping errors to the Contract's exit codes (ArgumentParser's own usage
    /// errors would otherwise exit 64).
    static func main() {
        if CommandLine.arguments.dropFirst() == ["--version"] {
            print(VersionInfo.line)
            return
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let f as Failure {
            printError("vigil: \(f.message)")
            Glibc.exit(f.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                Vigil.exit(withError: error)
            }
            if code.rawValue == 64 || code == .validationFailure {
                printError(fullMessage(for: error))
                Glibc.exit(Exit.usage)
            }
            if error is ExitCode { Vigil.exit(withError: error) }
            let f = Failure.from(error)
            printError("vigil: \(f.message)")
            Glibc.exit(f.code)
        }
    }
}

/// Writes one line to standard error (unbuffered, so it is never lost before `exit`).
func printError(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
}
