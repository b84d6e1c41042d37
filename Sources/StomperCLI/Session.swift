import Foundation
import Logging
import StomperAgents
import StomperCoordination
import StomperCore
import StomperGit
import StomperLedger
import StomperProcess
import StomperQuality

/// Everything a subcommand needs after parsing: the repository, the merged configuration, the
/// linter and agent it describes, and a logger. Building it is where environment errors surface.
struct Session {
    let repository: GitRepository
    let resolved: ResolvedConfiguration
    let logger: Logger

    var configuration: StomperConfiguration { resolved.configuration }

    static func open(_ options: GlobalOptions, flags: [String: SettingValue]) throws -> Session {
        var logger = Logger(label: "stomper")
        logger.logLevel = options.verbose ? .debug : .warning
        let start = options.startDirectory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: start, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError("directory \(start) does not exist: check the -C/--directory path")
        }
        let repository = try GitRepository.discover(from: start)
        let resolved = try ResolvedConfiguration.load(
            root: repository.workdir, explicitFile: options.config, environment: ProcessInfo.processInfo.environment,
            flags: flags)
        for warning in resolved.warnings { Terminal.warn(warning) }
        return Session(repository: repository, resolved: resolved, logger: logger)
    }

    /// The ledger, waiting for another process's write at most CRIT_DB's maximum wait.
    func openLedger() throws -> Ledger {
        try Ledger.open(commonDir: repository.commonDir,
                        maxWait: configuration.coordination[.critDB].maxWait(configuration.operationMode))
    }

    /// The pipeline this session's configuration describes. `toolVersions` are asked of the tools
    /// unless given (a resumed run keeps the versions it started with, which are part of its keys).
    func makePipeline(ledger: Ledger?, toolVersions: [String: String]? = nil) async throws -> Pipeline {
        let linter = makeLinter()
        var versions = toolVersions ?? [:]
        if toolVersions == nil { versions[linter.name] = try await linter.version() }
        return Pipeline(repository: repository, configuration: configuration, linter: linter,
                        agent: try makeAgent(linter: linter, toolVersions: versions), resourceGuard: ledger.map { makeGuard(ledger: $0) } ?? InProcessGuard(),
                        logger: logger)
    }

    /// The anti-stomp layer for this repository: leases and fencing tokens in the ledger, shared by
    /// every stomper process on it. A lease whose holder process is gone is taken over at once.
    func makeGuard(ledger: Ledger) -> StompGuard {
        StompGuard(store: LedgerLeaseStore(ledger: ledger), policy: configuration.coordination,
                   isAlive: { ProcessLiveness.isAlive(pid: $0.pid, host: $0.host) })
    }

    func makeLinter() -> RuffLinter {
        RuffLinter(executable: configuration.ruffExecutable, extraArguments: configuration.ruffArguments,
                   unsafeFixes: configuration.unsafeFixes)
    }

    func makeAgent(linter: RuffLinter, toolVersions: [String: String]) throws -> any Agent {
        switch configuration.agent {
        case .autofix:
            return AutofixAgent(linters: [linter], toolVersions: toolVersions)
        case .command:
            let agent = try CommandAgent(argv: configuration.command)
            guard let executable = configuration.command.first, Self.isRunnable(executable, from: repository.workdir) else {
                throw ConfigError("the agent command `\(configuration.command.first ?? "")` was not found: "
                                  + "install it, or fix agent.command in stomper.toml (it must be on PATH or a path)")
            }
            return agent
        }
    }

    /// Whether `executable` names a runnable file: a path (relative ones from the worktree root,
    /// which mirrors `root`), or a name found on PATH.
    static func isRunnable(_ executable: String, from root: String) -> Bool {
        let fileManager = FileManager.default
        if executable.contains("/") {
            let path = executable.hasPrefix("/") ? executable : root + "/" + executable
            return fileManager.isExecutableFile(atPath: path)
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return searchPath.split(separator: ":").contains { fileManager.isExecutableFile(atPath: "\($0)/\(executable)") }
    }

    /// Turns paths given on the command line (relative to the start directory) into paths relative
    /// to the repository root, refusing ones outside it or missing.
    func repositoryPaths(_ paths: [String], from start: String) throws -> [String] {
        let root = URL(fileURLWithPath: repository.workdir).resolvingSymlinksInPath().path
        return try paths.map { path in
            let absolute = path.hasPrefix("/") ? path : start + "/" + path
            let resolved = URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
            guard FileManager.default.fileExists(atPath: resolved) else {
                throw ConfigError("no such file or folder: \(path)")
            }
            if resolved == root { return "." }
            guard resolved.hasPrefix(root + "/") else {
                throw ConfigError("\(path) is outside the repository at \(repository.workdir)")
            }
            return String(resolved.dropFirst(root.count + 1))
        }
    }
}
