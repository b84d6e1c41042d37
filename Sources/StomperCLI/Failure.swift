import ArgumentParser
import StomperAgents
import StomperCore
import StomperErrors
import StomperGit
import StomperProcess
import StomperQuality
import Synchronization

/// Maps an error that stopped a command to a message and exit status 2.
///
/// The message is one line (a tool's standard error below it). With `--verbose` the error is
/// explained too (`ErrorChain.explanation`): its type and code, the source location where it was
/// made, its context (errno, libgit2's code and class, SQLite's result code, a command line) and
/// the chain of errors beneath it.
enum Failure {
    /// Whether `--verbose` was given. Set once, right after parsing, by `GlobalOptions.validate()`:
    /// every subcommand has the options, and errors are reported from two dozen places that
    /// should not each have to pass the flag on.
    private static let explains = Atomic(false)

    static var verbose: Bool {
        get { explains.load(ordering: .relaxed) }
        set { explains.store(newValue, ordering: .relaxed) }
    }

    /// With `json` (the command's `--json`), stdout also gets `{"error": {"code", "message"}}`
    /// (and, with `--verbose`, `"detail"`), so a script reading stdout sees why there is no report.
    static func exit(_ error: any Error, json: Bool = false) -> ExitCode {
        Terminal.err("stomper: error: \(message(error))")
        if verbose {
            for line in ErrorChain.explanation(of: error) { Terminal.err(line) }
        }
        if json { Terminal.json(document(error, verbose: verbose)) }
        return ExitCode(2)
    }

    /// The `--json` error document: `JSONStyle.error`, plus `detail` — the lines `--verbose`
    /// prints under the message, joined by line breaks — when `verbose`.
    static func document(_ error: any Error, verbose: Bool) -> [String: Any] {
        var document = JSONStyle.error(error)
        if verbose, var body = document["error"] as? [String: Any] {
            body["detail"] = ErrorChain.explanation(of: error).joined(separator: "\n")
            document["error"] = body
        }
        return document
    }

    static func message(_ error: any Error) -> String {
        switch error {
        case let error as GitError where error.code == .notARepository:
            return "\(error.path ?? ".") is not inside a git repository: run stomper in a git working tree (or pass -C DIR)"
        case let error as QualityError:
            var text = error.message
            if let status = error.exitStatus { text += " (exit status \(status))" }
            if let stderr = error.standardError, !stderr.isEmpty { text += "\n" + stderr }
            return text
        default:
            return "\(error)"
        }
    }
}
