/// A built-in linter `linters.enabled` can name. The cases are in the order autofix applies the
/// linters' fixes (ruff's fixes, then ruff format, then the checkers without fixes), which is
/// the order `Workspace.makeLinters` builds them in whatever order the setting lists them.
///
/// `StomperConfiguration.linters` stays a list of names, because those names are what the
/// settings table reads, writes and hashes into every idempotency key; validation
/// (`Setting.validate`) admits only these raw values, so `enabled(in:)` sees every name.
public enum LinterKind: String, Sendable, Hashable, Codable, CaseIterable {
    case ruff
    case ruffFormat = "ruff-format"
    case mypy
    case shellcheck

    /// The enabled built-in linters of `configuration`, in fix order.
    public static func enabled(in configuration: StomperConfiguration) -> [LinterKind] {
        allCases.filter { configuration.linters.contains($0.rawValue) }
    }

    /// The executable the configuration names for this linter (ruff format runs ruff).
    public func executable(in configuration: StomperConfiguration) -> String {
        switch self {
        case .ruff, .ruffFormat: return configuration.ruffExecutable
        case .mypy: return configuration.mypyExecutable
        case .shellcheck: return configuration.shellcheckExecutable
        }
    }

    /// The setting that names the executable, for messages that say what to change.
    public var executableKey: String {
        switch self {
        case .ruff, .ruffFormat: return "linters.ruff.executable"
        case .mypy: return "linters.mypy.executable"
        case .shellcheck: return "linters.shellcheck.executable"
        }
    }

    /// How to install the tool, for messages.
    public var installHint: String {
        switch self {
        case .ruff, .ruffFormat: return "pip install ruff"
        case .mypy: return "pip install mypy"
        case .shellcheck: return "apt-get install shellcheck"
        }
    }
}
