import ArgumentParser
import StomperAgents
import StomperCore
import StomperGit
import StomperProcess
import StomperQuality

/// Maps an error that stopped a command to a message and exit status 2.
enum Failure {
    /// With `json` (the command's `--json`), stdout also gets `{"error": {"code", "message"}}`, so
    /// a script reading stdout sees why there is no report.
    static func exit(_ error: any Error, json: Bool = false) -> ExitCode {
        Terminal.err("stomper: error: \(message(error))")
        if json { Terminal.json(JSONStyle.error(error)) }
        return ExitCode(2)
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
