public import StomperProcess

/// Several linters used as one: their diagnostics merged, their versions combined.
///
/// With a `sandbox`, every process a member starts while linting runs in it, with the linted root
/// made writable: the members build their own process specs, so the set passes the policy down as
/// `Sandbox.current` (a task-local its child tasks inherit) rather than through each linter.
///
/// Names must be unique: they key versions, fix commands and configuration. The linters run
/// concurrently, one child task each; if one fails, the others are cancelled and the error names
/// the linter that failed.
public struct LinterSet: Linter {
    public let linters: [any Linter]
    /// The linters' names joined with `+` (`ruff+mypy`), in order.
    public let name: String
    /// The containment of the members' lint processes; nil runs them uncontained.
    public var sandbox: Sandbox?

    /// Throws `.badConfiguration` when `linters` is empty or two have the same name.
    public init(_ linters: [any Linter], sandbox: Sandbox? = nil) throws(QualityError) {
        guard !linters.isEmpty else {
            throw QualityError(
                .badConfiguration, "no linters are configured: enable at least one in stomper.toml",
                tool: "linters")
        }
        var seen = Set<String>()
        for linter in linters where !seen.insert(linter.name).inserted {
            throw QualityError(
                .badConfiguration,
                "the linter `\(linter.name)` is configured twice: give each linter a distinct name",
                tool: linter.name)
        }
        self.linters = linters
        self.name = linters.map(\.name).joined(separator: "+")
        self.sandbox = sandbox
    }

    /// Only when every member reads only its configuration.
    public var readsOnlyConfiguration: Bool { linters.allSatisfy(\.readsOnlyConfiguration) }

    /// Every linter's diagnostics, sorted.
    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        guard let sandbox else { return try await lintAll(paths: paths, root: root) }
        return try await Sandbox.$current.withValue(sandbox.writing(root)) {
            try await lintAll(paths: paths, root: root)
        }
    }

    private func lintAll(paths: [String], root: String) async throws -> [Diagnostic] {
        try await withThrowingTaskGroup(of: [Diagnostic].self) { group in
            for linter in linters {
                group.addTask {
                    do {
                        return try await linter.lint(paths: paths, root: root)
                    } catch {
                        throw Self.named(error, linter: linter.name)
                    }
                }
            }
            var all: [Diagnostic] = []
            for try await diagnostics in group { all += diagnostics }
            return all.sorted()
        }
    }

    /// Each linter's version by name, asked concurrently.
    public func versions() async throws -> [String: String] {
        try await withThrowingTaskGroup(of: (String, String).self) { group in
            for linter in linters {
                group.addTask {
                    do {
                        return (linter.name, try await linter.version())
                    } catch {
                        throw Self.named(error, linter: linter.name)
                    }
                }
            }
            var versions: [String: String] = [:]
            for try await (name, version) in group { versions[name] = version }
            return versions
        }
    }

    /// `name=version` pairs sorted by name and joined with `; `: the same text whatever order
    /// the linters answer in, so it can go into idempotency keys.
    public func version() async throws -> String {
        try await versions().sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }

    /// The fix command of every linter that has one, in the set's order.
    public func fixCommands(path: String, root: String) -> [(linter: String, command: FixCommand)] {
        linters.compactMap { linter in linter.fixCommand(path: path, root: root).map { (linter.name, $0) } }
    }

    /// Always nil: a set has one fixer per linter, and running them as one command would hide
    /// which one failed. Use `fixCommands(path:root:)`.
    public func fixCommand(path: String, root: String) -> FixCommand? { nil }

    /// `error`, with a message that starts with the linter's name (unless it already does).
    static func named(_ error: any Error, linter: String) -> any Error {
        if error is CancellationError { return error }
        if var quality = error as? QualityError {
            if !quality.message.hasPrefix(linter + ":") && !quality.message.hasPrefix(linter + " ") {
                quality.message = "\(linter): \(quality.message)"
            }
            return quality
        }
        return QualityError(.toolFailed, "\(linter): \(error)", tool: linter, underlying: error)
    }
}
