import Foundation
public import StomperProcess

/// The containment of one run's processes in worktrees (`agent.sandbox = "bwrap"`), built once
/// per run before any agent starts.
///
/// Every policy it gives keeps the repository's common git directory read-only (no agent commits,
/// moves a ref, stashes, adds a worktree, or writes hooks, config or alternates), makes writable
/// only what the caller adds (the job's worktree, the run's scratch folder) plus
/// `agent.sandbox_writable`, and gives a private `/tmp` and a PID namespace of its own. Linters and
/// test commands get no network; AI coding CLIs get it (they call their model), and declare the
/// settings folders they write (`AgentPreset.sandboxFolders`).
public struct RunSandbox: Sendable, Hashable {
    /// The policy of linters, autofix and test commands: no network, nothing writable yet.
    public let tools: Sandbox

    public init(tools: Sandbox) {
        self.tools = tools
    }

    /// The sandbox `configuration` asks for, checked to work here (nil for `agent.sandbox = "none"`).
    ///
    /// Throws `ProcessError` (`.sandboxMissing`, `.sandboxRefused`) when bubblewrap is not installed
    /// or cannot create namespaces, with the remedy. `bwrap` overrides the lookup in `PATH` (tests).
    public static func make(
        configuration: StomperConfiguration, commonDir: String,
        environment: [String: String]? = nil, bwrap: String? = nil
    ) async throws -> RunSandbox? {
        guard configuration.sandbox == .bwrap else { return nil }
        let environment = environment ?? ProcessInfo.processInfo.environment
        var tools = try await Sandbox.probe(bwrap: bwrap, searchPath: environment["PATH"] ?? "")
        tools.readOnly = [commonDir]
        tools.writableIfPresent = configuration.sandboxWritable.map { expandingHome($0, environment: environment) }
        return RunSandbox(tools: tools)
    }

    /// The policy of an agent CLI: the tools' policy with the network as given, and `folders` and
    /// `files` (`~` expanded) writable. Missing folders are created first (mode 0700), since the
    /// CLI could not create them inside; a missing file is left out.
    public func agent(
        network: Bool, folders: [String] = [], files: [String] = [],
        environment: [String: String]? = nil
    ) -> Sandbox {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var sandbox = tools.withNetwork(network)
        for folder in folders.map({ Self.expandingHome($0, environment: environment) }) {
            try? FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            sandbox.writableIfPresent.append(folder)
        }
        sandbox.writableIfPresent += files.map { Self.expandingHome($0, environment: environment) }
        return sandbox
    }

    /// `~` or `~/…` with the user's home folder (`HOME`); other paths as they are.
    public static func expandingHome(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + path.dropFirst()
    }
}
