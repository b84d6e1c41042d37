import Foundation

/// A flag, argument or file the CLI itself checks is wrong: exit status 2, `invalid_input` in
/// `--json`. Each case carries the input it is about; `description` names it and says what to
/// change. Problems of the configuration or the repository come from the library
/// (`CoreError`), not from here.
enum CLIError: Error, CustomStringConvertible, Equatable {
    /// `--<flag> <value>` is not a value the flag takes; `expected` says what it takes.
    case badFlag(flag: String, value: String, expected: String)
    /// `flag` cannot be combined with `other`; `why` says so, naming both, and what to drop.
    case conflictingFlags(flag: String, other: String, why: String)
    /// A command that needs an output was given none (`stomper report` without `--html`).
    case missingOutput(command: String, flag: String)
    /// A file the command writes cannot be written; `action` is how it was to be written
    /// ("write", "append to", "write the HTML report to").
    case unwritable(action: String, path: String, reason: String, hint: String)
    /// `stomper init` would replace or shadow configuration that exists.
    case configurationExists(path: String, hint: String)
    /// `stomper init --pyproject` found no `pyproject.toml`.
    case missingPyproject(path: String)

    var description: String {
        switch self {
        case .badFlag(let flag, let value, let expected):
            return "\(flag) \(value) \(expected)"
        case .conflictingFlags(_, _, let why):
            return why
        case .missingOutput(let command, let flag):
            return "\(command) needs an output: pass \(flag)"
        case .unwritable(let action, let path, let reason, let hint):
            return "cannot \(action) \(path): \(reason)" + (hint.isEmpty ? "" : "; \(hint)")
        case .configurationExists(let path, let hint):
            return "\(path) \(hint)"
        case .missingPyproject(let path):
            return "there is no \(path) to add [tool.stomper] to: run `stomper init` without --pyproject to write stomper.toml"
        }
    }
}
