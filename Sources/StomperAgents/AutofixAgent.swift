public import StomperQuality
public import StomperProcess

/// The default agent: runs each linter's own fixer on the file (`ruff check --fix`), in order.
/// Deterministic, free and fast; fixes only what the tools mark fixable. A fixer that prints a
/// diff instead of writing (`shellcheck -f diff`) has it applied strictly by `UnifiedDiff`, and
/// runs again on the result until it prints nothing, at most `diffPasses` times.
public struct AutofixAgent: Agent {
    public let linters: [any Linter]
    public let identity: AgentIdentity
    /// The containment each fixer runs in (no network), with the job's worktree made writable;
    /// nil runs them uncontained. Not part of the identity.
    public var sandbox: Sandbox?

    /// True when it runs in a sandbox.
    public var isContained: Bool { sandbox != nil }

    /// `toolVersions` names each linter's version so that a new tool version gives new keys.
    public init(linters: [any Linter], toolVersions: [String: String]) {
        self.linters = linters
        let settings = linters.map { linter in
            let command = linter.fixCommand(path: "{file}", root: "{worktree}")?.spec.arguments.joined(separator: " ") ?? "none"
            return "\(linter.name)@\(toolVersions[linter.name] ?? "?"): \(command)"
        }.joined(separator: "; ")
        self.identity = AgentIdentity(kind: "autofix", name: "autofix", settings: settings)
    }

    /// Only what a linter with a fixer marks fixable (ruff's `fix` field, unsafe fixes only when
    /// enabled; shellcheck findings with replacements).
    public func canFix(_ diagnostic: Diagnostic) -> Bool {
        diagnostic.fixable && linters.contains { $0.name == diagnostic.tool && $0.fixCommand(path: "f", root: "/") != nil }
    }

    /// Its fixers read the file and their configuration, as their linters do.
    public var readsOnlyItsFile: Bool { linters.allSatisfy(\.readsOnlyConfiguration) }

    /// Deterministic, and each linter's fixer takes a list of rules to leave alone.
    public var narrowsByRule: Bool { true }

    public func fix(_ request: FixRequest) async throws -> AgentOutcome {
        var total = AgentOutcome(status: .completed, calls: 0)
        for linter in linters {
            // No tool none of whose diagnostics is targeted (ruff format when `unformatted` was
            // left out), and no fix of a rule the selection left out.
            if !request.diagnostics.isEmpty && !request.diagnostics.contains(where: { $0.tool == linter.name }) { continue }
            let leaving = Set(request.leaveAlone.filter { $0.tool == linter.name }.map(\.code))
                .subtracting(request.diagnostics.filter { $0.tool == linter.name }.map(\.code))
            guard let command = linter.fixCommand(path: request.path, root: request.worktree, leaving: leaving) else { continue }
            var spec = command.spec
            spec.timeout = request.timeout
            spec.sandbox = sandbox?.writing(request.worktree)
            for _ in 0..<(command.output == .unifiedDiff ? Self.diffPasses : 1) {
                let (outcome, result) = await AgentProcess.runKeepingResult(
                    spec, what: "\(linter.name) --fix",
                    successExitCodes: command.successExitCodes)
                total.calls += 1
                total.duration += outcome.duration
                total.output += outcome.output
                guard case .completed = outcome.status else {
                    total.status = outcome.status
                    return total
                }
                guard command.output == .unifiedDiff, let result else { break }
                do {
                    guard try applyDiff(result, to: request, linter: linter.name) else { break }
                } catch {
                    total.status = .failed(reason: error.description)
                    total.output += (total.output.isEmpty ? "" : "\n") + error.description
                    return total
                }
            }
        }
        return total
    }

    /// How often a fixer that prints a diff runs on one file at most: its diff leaves out fixes
    /// that overlap others in it (shellcheck), and the next run, on the fixed file, has them.
    static let diffPasses = 3

    /// Applies the diff a fixer printed; false when it printed none (nothing left to fix).
    private func applyDiff(_ result: ProcessResult, to request: FixRequest, linter: String) throws(QualityError) -> Bool {
        guard !result.outputTruncated else {
            throw QualityError(
                .fixRejected,
                "\(linter)'s fix for \(request.path) was not applied (the file is unchanged): "
                    + "its diff is longer than stomper keeps (\(result.standardOutput.count) bytes)", tool: linter)
        }
        return try UnifiedDiff.apply(result.standardOutput, toFile: request.path, root: request.worktree, tool: linter)
    }
}
