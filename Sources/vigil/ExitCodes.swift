import ArgumentParser
import VigilCore
import VigilSources
import VigilState

/// Exit codes, in one place (Contract): 0 success, 2 usage or configuration, 3 unreadable input,
/// 4 state error.
enum Exit {
    static let usage: Int32 = 2
    static let input: Int32 = 3
    static let state: Int32 = 4
}

/// An error the CLI reports in one line and turns into an exit code.
struct Failure: Error, CustomStringConvertible {
    var code: Int32
    var message: String
    var description: String { message }

    static func usage(_ m: String) -> Failure { Failure(code: Exit.usage, message: m) }

    /// Maps stage errors to the Contract's exit codes.
    static func from(_ error: Error) -> Failure {
        switch error {
        case let f as Failure: return f
        case let e as SourceError: return Failure(code: Exit.input, message: e.description)
        case let e as StateError: return Failure(code: Exit.state, message: e.description)
        case let e as ConfigError: return Failure(code: Exit.usage, message: e.description)
        default: return Failure(code: Exit.usage, message: "\(error)")
        }
    }
}
