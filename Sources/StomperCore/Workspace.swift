public import Foundation
public import Logging
public import StomperCoordination
public import StomperGit
public import StomperLedger
import StomperAgents
import StomperProcess
import StomperQuality

/// A repository and its finished configuration, and the one place that builds what a command
/// runs on them: the ledger, the anti-stomp guard, the linters, the gate, the test command and
/// the agents. The CLI, stomper-bench and other front ends (an MCP server, `land`) open one and
/// ask it for parts, so none of them wires the object graph itself.
///
/// Agents are checked lazily: a pipeline built for inspecting (`check`, `docgen`) only needs to
/// know what the configured agents can fix and who they are, so an agent whose program is not
/// installed here, or whose key is not set, does not stop it. Only a pipeline that starts agents
/// (`makePipeline(startsAgents: true)`: fix, resume) requires them to be runnable, and probes the
/// sandbox, failing with `CoreError.agentUnavailable` naming the agent.
public struct Workspace: Sendable {
    public let repository: GitRepository
    /// The merged configuration with where each value came from.
    public let settings: ResolvedConfiguration
    public let logger: Logger

    public var configuration: StomperConfiguration { settings.configuration }
    /// The working tree's root folder.
    public var root: String { repository.workdir }
    /// What the caller should show the user about the configuration (ignored variables, a
    /// shadowed `[tool.stomper]` table). The library never prints them.
    public var warnings: [String] { settings.warnings }

    public init(repository: GitRepository, settings: ResolvedConfiguration, logger: Logger) {
        self.repository = repository
        self.settings = settings
        self.logger = logger
    }

    /// A workspace over a configuration that is already finished (stomper-bench, a resumed run's
    /// stored settings, tests).
    public init(repository: GitRepository, configuration: StomperConfiguration, logger: Logger) {
        self.init(repository: repository, settings: ResolvedConfiguration(configuration: configuration), logger: logger)
    }

    /// Discovers the repository containing `directory` and merges its configuration: defaults <
    /// `configFile` (else `stomper.toml`, else `pyproject.toml [tool.stomper]`) < `STOMPER_*` in
    /// `environment` < `flags`. Throws `CoreError.invalidPath` for a missing directory,
    /// `GitError.notARepository` outside git, `CoreError.invalidSetting` for a bad value.
    public static func open(
        at directory: String, configFile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        flags: [String: SettingValue] = [:], logger: Logger = Logger(label: "stomper")
    ) throws -> Workspace {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CoreError(.invalidPath, "directory \(directory) does not exist: check the -C/--directory path", subject: directory)
        }
        let repository = try GitRepository.discover(from: directory)
        let settings = try ResolvedConfiguration.load(
            root: repository.workdir, explicitFile: configFile,
            environment: environment, flags: flags)
        return Workspace(repository: repository, settings: settings, logger: logger)
    }

    /// The root of the working tree around `directory`, without reading any configuration (for
    /// `init`, which writes one).
    public static func root(of directory: String) throws -> String {
        try GitRepository.discover(from: directory).workdir
    }

    /// This workspace with `flags` set over its configuration (a request's options: agent,
    /// parallelism, branch), each checked like a command-line flag.
    public func applying(_ flags: [String: SettingValue], source: String = "the request") throws -> Workspace {
        var settings = self.settings
        try settings.apply(flags, source: source)
        return Workspace(repository: repository, settings: settings, logger: logger)
    }

    /// This workspace with `configuration` in place of its own (a resumed run's stored settings).
    public func replacing(_ configuration: StomperConfiguration) -> Workspace {
        Workspace(repository: repository, configuration: configuration, logger: logger)
    }

    /// The ledger, waiting for another process's write at most CRIT_DB's maximum wait.
    public func openLedger() throws -> Ledger {
        try Ledger.open(
            commonDir: repository.commonDir,
            maxWait: configuration.coordination[.critDB].maxWait(configuration.operationMode))
    }

    /// The anti-stomp layer for this repository: leases and fencing tokens in the ledger, shared by
    /// every stomper process on it. A lease whose holder process is gone is taken over at once.
    public func makeGuard(ledger: Ledger) -> StompGuard {
        StompGuard(
            store: LedgerLeaseStore(ledger: ledger), policy: configuration.coordination,
            isAlive: { ProcessLiveness.isAlive(pid: $0.pid, host: $0.host) })
    }

    /// The pipeline this configuration describes. `toolVersions` are asked of the tools unless
    /// given (a resumed run keeps the versions it started with, which are part of its keys).
    ///
    /// With `startsAgents` (fix, resume) the agents must be runnable — their program on PATH, the
    /// chat endpoint's key set — and with `agent.sandbox = "bwrap"` the sandbox is found and
    /// probed first, so a missing or refused bubblewrap stops the run before any tool or agent
    /// runs; linters, agents and the test command then run in it. Without it (check, docgen) a
    /// configured agent that is not installed here does not matter.
    public func makePipeline(ledger: Ledger?, toolVersions: [String: String]? = nil, startsAgents: Bool = false) async throws -> Pipeline {
        try await makePipeline(ledger: ledger, toolVersions: toolVersions, startsAgents: startsAgents, agents: nil)
    }

    /// `makePipeline`, with `agents` instead of the configuration's chain when given: `land`
    /// brings its own fixer.
    func makePipeline(ledger: Ledger?, toolVersions: [String: String]?, startsAgents: Bool, agents: [any Agent]?) async throws -> Pipeline {
        let sandbox = startsAgents ? try await RunSandbox.make(configuration: configuration, commonDir: repository.commonDir) : nil
        let linters = try await makeLinters()
        // Contained, the linters always run as a set: the set is what puts them in the sandbox.
        let linter: any Linter = linters.count == 1 && sandbox == nil ? linters[0] : try LinterSet(linters, sandbox: sandbox?.tools)
        var versions = toolVersions ?? [:]
        if toolVersions == nil { versions = try await Pipeline.versions(of: linter) }
        let pipeline = Pipeline(
            repository: repository, configuration: configuration, linter: linter,
            agents: try agents
                ?? configuration.chain.map {
                    try makeAgent($0, linters: linters, toolVersions: versions, sandbox: sandbox, requireRunnable: startsAgents)
                },
            resourceGuard: ledger.map { makeGuard(ledger: $0) } ?? InProcessGuard(),
            gate: try makeGate(),
            tests: try makeTests(sandbox: sandbox),
            logger: logger)
        // `fix.worktree = "sparse"` with a fixer or linter that reads the project is refused here,
        // before a run is recorded.
        if startsAgents { _ = try pipeline.usesSparseWorktrees() }
        return pipeline
    }

    /// Turns paths given relative to `start` (a command line's directory) into paths relative to
    /// the repository root, refusing ones outside it or missing (`CoreError.invalidPath`).
    public func repositoryPaths(_ paths: [String], from start: String) throws -> [String] {
        let root = URL(fileURLWithPath: repository.workdir).resolvingSymlinksInPath().path
        return try paths.map { path in
            let absolute = path.hasPrefix("/") ? path : start + "/" + path
            let resolved = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
            guard FileManager.default.fileExists(atPath: resolved) else {
                throw CoreError(.invalidPath, "no such file or folder: \(path)", subject: path)
            }
            if resolved == root { return "." }
            guard resolved.hasPrefix(root + "/") else {
                throw CoreError(.invalidPath, "\(path) is outside the repository at \(repository.workdir)", subject: path)
            }
            return String(resolved.dropFirst(root.count + 1))
        }
    }
}
