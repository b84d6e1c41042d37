import Foundation
public import Logging
public import MCP
public import StomperCoordination
public import StomperLedger

/// `stomper mcp`: the fixer and the anti-stomp layer of one repository as MCP tools, over any MCP
/// transport (the CLI serves standard input and output). Logs go to the logger only; the
/// transport carries protocol messages only.
///
/// Read tools (`check`, `status`, `show`, `runs`, `locks`, `stats`, `docgen_status`) and `docgen`
/// run the same binary's commands with `--json`, so they answer with the CLI's documents and
/// errors; `fix` starts a background run (`FixRuns`); `claim`, `write_file`, `renew` and `release`
/// work on the ledger's leases in this process (`ClaimDesk`).
public final class StomperMCPServer: Sendable {
    /// What the server serves and how it reaches it.
    public struct Context: Sendable {
        /// The repository's work tree.
        public var root: String
        /// The `stomper` executable the tools run (this process's own).
        public var executable: String
        public var version: String

        public init(root: String, executable: String, version: String) {
            self.root = root
            self.executable = executable
            self.version = version
        }
    }

    private let context: Context
    private let logger: Logger
    private let command: StomperCommand
    private let claims: ClaimDesk
    private let runs: FixRuns

    /// - Parameters:
    ///   - ledger: the repository's ledger (runs are looked up in it).
    ///   - guardian: the repository's anti-stomp layer over that ledger (`Workspace.makeGuard`):
    ///     claims are its leases, with its policy's CRIT_CODE TTL and interactive maximum wait.
    public init(context: Context, ledger: Ledger, guardian: StompGuard, logger: Logger) {
        self.context = context
        self.logger = logger
        command = StomperCommand(executable: context.executable, root: context.root)
        claims = ClaimDesk(
            guardian: guardian, root: context.root,
            maxWait: guardian.policy[.critCode].maxWait(.interactive))
        runs = FixRuns(command: command, ledger: ledger)
    }

    /// Serves `transport` until the client disconnects; then interrupts the runs it started
    /// (left for `stomper resume`).
    public func run(transport: any Transport) async throws {
        let server = Server(
            name: "stomper", version: context.version,
            instructions:
                "Lint and fix this repository with stomper, and coordinate file edits with other agents: claim paths, write_file with the token, release.",
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: ToolCatalog.all) }
        await server.withMethodHandler(CallTool.self) { [self] parameters in
            await self.call(parameters, server: server)
        }
        try await server.start(transport: transport)
        logger.info("stomper mcp serving", metadata: ["repository": "\(context.root)"])
        await server.waitUntilCompleted()
        await runs.stopAll()
        await server.stop()
    }

    /// One tool call: every failure becomes a tool error with its code, never a protocol error.
    func call(_ parameters: CallTool.Parameters, server: Server) async -> CallTool.Result {
        let start = ContinuousClock.now
        do {
            guard let allowed = ToolCatalog.arguments[parameters.name] else {
                let names = ToolCatalog.all.map(\.name).joined(separator: ", ")
                throw MCPToolError(.unknownTool, "no tool is named \(parameters.name); the tools are: \(names)")
            }
            let arguments = try ToolArguments(parameters.arguments, allowed: allowed)
            let result = try await dispatch(parameters.name, arguments, progress: parameters._meta?.progressToken, server: server)
            logger.debug("tool call", metadata: ["tool": "\(parameters.name)", "elapsed": "\(ContinuousClock.now - start)"])
            return result
        } catch {
            logger.info("tool call failed", metadata: ["tool": "\(parameters.name)", "error": "\(error)"])
            return ToolResult.failure(error)
        }
    }

    private func dispatch(
        _ name: String, _ arguments: ToolArguments, progress: ProgressToken?,
        server: Server
    ) async throws -> CallTool.Result {
        switch name {
        case "check": return try await check(arguments)
        case "fix": return try await fix(arguments, progress: progress, server: server)
        case "status":
            if let run = try arguments.string("run") {
                let shown = try await command.json(["show", run, "--json"])
                let state = shown.objectValue?["run"] ?? shown
                return ToolResult.success(state, summary: Summary.run(state))
            }
            let state = try await command.json(["status", "--json"])
            return ToolResult.success(state, summary: Summary.run(state))
        case "show":
            let shown = try await command.json(["show", try arguments.requiredString("run"), "--json"])
            return ToolResult.success(shown, summary: Summary.run(shown.objectValue?["run"] ?? shown))
        case "runs":
            let limit = try arguments.integer("limit", in: 1...1_000) ?? 20
            let list = try await command.json(["runs", "--json", "--limit", String(limit)])
            return ToolResult.success(.object(["runs": list]), summary: Summary.runs(list))
        case "cancel": return try await cancel(arguments)
        case "locks":
            let locks = try await command.json(["locks", "--json"])
            return ToolResult.success(locks, summary: Summary.locks(locks))
        case "stats":
            var argv = ["stats", "--json"]
            if try arguments.bool("learning", default: false) { argv.append("--learning") }
            if let run = try arguments.string("run") { argv += ["--run", run] }
            let stats = try await command.json(argv)
            return ToolResult.success(stats, summary: Summary.stats(stats))
        case "docgen":
            let paths = try arguments.strings("paths")
            for path in paths { _ = try ClaimDesk.checkedPath(path, argument: "paths") }
            let docs = try await command.json(["docgen", "generate", "--json"] + paths)
            return ToolResult.success(docs, summary: Summary.docgen(docs))
        case "docgen_status":
            let docs = try await command.json(["docgen", "status", "--json"])
            return ToolResult.success(docs, summary: Summary.docgen(docs))
        case "claim": return try await claims.claim(arguments)
        case "write_file": return try await claims.writeFile(arguments)
        case "renew": return try await claims.renew(arguments)
        case "release": return try await claims.release(arguments)
        default: throw MCPToolError(.unknownTool, "no tool is named \(name)")
        }
    }

    private func check(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let paths = try arguments.strings("paths")
        for path in paths { _ = try ClaimDesk.checkedPath(path, argument: "paths") }
        let codes = try arguments.strings("codes")
        let report = try await command.json(["check", "--json"] + paths)
        let shown = codes.isEmpty ? report : CheckFilter.only(codes, in: report)
        return ToolResult.success(shown, summary: Summary.check(shown))
    }

    private func fix(_ arguments: ToolArguments, progress: ProgressToken?, server: Server) async throws -> CallTool.Result {
        var argv: [String] = []
        let dryRun = try arguments.bool("dry_run", default: true)
        if dryRun { argv.append("--dry-run") }
        if let agent = try arguments.string("agent") { argv += ["--agent", agent] }
        if let parallel = try arguments.integer("parallel", in: 1...64) { argv += ["--parallel", String(parallel)] }
        if let branch = try arguments.string("branch") { argv += ["--branch", branch] }
        for path in try arguments.strings("paths") {
            // A file, or everything under a folder (`--pattern` takes globs; `**` crosses folders).
            let checked = try ClaimDesk.checkedPath(path, argument: "paths")
            argv += ["--pattern", checked, "--pattern", checked + "/**"]
        }
        let wait = try arguments.bool("wait", default: false) || progress != nil
        let started = try await runs.start(argv)
        guard let runID = started.runID else {
            // Ended before making a run: its document says why (nothing to fix, or an error).
            let report = try await started.finished.value
            return ToolResult.success(
                .object([
                    "run_id": nil, "pid": .int(Int(started.pid)), "dry_run": .bool(dryRun),
                    "status": "ended", "report": report,
                ]),
                summary: Summary.fix(report))
        }
        guard wait else {
            return ToolResult.success(
                .object([
                    "run_id": .string(runID), "pid": .int(Int(started.pid)), "dry_run": .bool(dryRun),
                    "status": "running",
                ]),
                summary:
                    "Run \(runID) started (pid \(started.pid)\(dryRun ? ", dry run" : "")). Ask `status` with run \(runID) for its progress, `cancel` to stop it."
            )
        }
        let report = try await follow(runID, finished: started.finished, progress: progress, server: server)
        return ToolResult.success(
            .object([
                "run_id": .string(runID), "pid": .int(Int(started.pid)), "dry_run": .bool(dryRun),
                "status": "ended", "report": report,
            ]),
            summary: Summary.fix(report))
    }

    /// Waits for a run, sending a progress notification each time another file ends.
    private func follow(
        _ runID: String, finished: Task<Value, any Error>, progress: ProgressToken?,
        server: Server
    ) async throws -> Value {
        guard let progress else { return try await finished.value }
        let runs = self.runs
        let reporter = Task {
            var last = -1
            while !Task.isCancelled {
                if let (done, total) = try? await runs.progress(runID: runID), done != last {
                    last = done
                    let message = "run \(runID): \(done) of \(total) files done"
                    try? await server.notify(
                        ProgressNotification.message(
                            .init(progressToken: progress, progress: Double(done), total: Double(total), message: message)))
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { reporter.cancel() }
        return try await finished.value
    }

    private func cancel(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let runID = try arguments.requiredString("run")
        guard let report = try await runs.cancel(runID: runID) else {
            return ToolResult.success(
                .object(["run_id": .string(runID), "status": "cancelling"]),
                summary: "Run \(runID) was interrupted and is still finishing its files in flight; ask `status`.")
        }
        return ToolResult.success(
            .object(["run_id": .string(runID), "status": "ended", "report": report]),
            summary: "Run \(runID) stopped. " + Summary.fix(report))
    }
}
