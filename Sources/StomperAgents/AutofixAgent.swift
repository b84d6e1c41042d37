public import StomperQuality
import StomperProcess

/// The default agent: runs each linter's own fixer on the file (`ruff check --fix`), in order.
/// Deterministic, free and fast; fixes only what the tools mark fixable.
public struct AutofixAgent: Agent {
    public let linters: [any Linter]
    public let identity: AgentIdentity

    /// `toolVersions` names each linter's version so that a new tool version gives new keys.
    public init(linters: [any Linter], toolVersions: [String: String]) {
        self.linters = linters
        let settings = linters.map { linter in
            let command = linter.fixCommand(path: "{file}", root: "{worktree}")?.spec.arguments.joined(separator: " ") ?? "none"
            return "\(linter.name)@\(toolVersions[linter.name] ?? "?"): \(command)"
        }.joined(separator: "; ")
        self.identity = AgentIdentity(kind: "autofix", name: "autofix", settings: settings)
    }

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
            let outcome = await AgentProcess.run(spec, what: "\(linter.name) --fix", successExitCodes: command.successExitCodes)
            total.calls += 1
            total.duration += outcome.duration
            total.output += outcome.output
            guard case .completed = outcome.status else {
                total.status = outcome.status
                return total
            }
        }
        return total
    }
}
