import Foundation

extension Sandbox {
    /// The remedy named when namespaces are refused.
    static let namespaceRemedy = """
        allow unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 on Debian kernels; \
        on Ubuntu 23.10 and later sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor \
        profile that lets bwrap use them), or run stomper as root, or set agent.sandbox = "none" in stomper.toml \
        to run agents uncontained (detection only)
        """

    /// The first executable `bwrap` in `searchPath` (a `PATH` value), or nil.
    public static func locate(searchPath: String) -> String? {
        VersionManagerShim.locate("bwrap", environment: ["PATH": searchPath])
    }

    /// A sandbox that can be used here: `bwrap` found in `searchPath` (or at `bwrap`, when given)
    /// and able to create the namespaces every sandboxed process needs, tried once by running
    /// `true` in one. Throws `ProcessError` with `.sandboxMissing` or `.sandboxRefused`, whose
    /// message names the remedy.
    public static func probe(bwrap: String? = nil, searchPath: String) async throws -> Sandbox {
        let missing = """
            the sandbox for agents, linters and tests needs bubblewrap (bwrap), which is not installed: \
            install it with `apt-get install bubblewrap` (Fedora: `dnf install bubblewrap`), or set \
            agent.sandbox = "none" in stomper.toml to run them uncontained (detection only)
            """
        guard let path = bwrap ?? locate(searchPath: searchPath) else {
            throw ProcessError(.sandboxMissing, missing, commandLine: "bwrap")
        }
        let sandbox = Sandbox(bwrap: path)
        let spec = ProcessSpec(executable: "true", timeout: .seconds(30))
        let probe = ProcessSpec(
            executable: path, arguments: sandbox.arguments(for: spec, executable: "true", searchPath: ""),
            timeout: .seconds(30))
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(probe)
        } catch let error as ProcessError where error.code == .executableNotFound {
            throw ProcessError(.sandboxMissing, missing, commandLine: probe.commandLine, underlying: error)
        } catch let error as ProcessError {
            throw ProcessError(
                .sandboxRefused,
                "bwrap at \(path) could not be started (\(error.message)): reinstall it, "
                    + "or set agent.sandbox = \"none\" in stomper.toml", commandLine: probe.commandLine,
                underlying: error)
        }
        guard result.exitCode == 0 else {
            let said = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ProcessError(
                .sandboxRefused,
                "bwrap cannot create the sandbox's namespaces here (\(said.isEmpty ? result.termination.description : said)): "
                    + namespaceRemedy, commandLine: probe.commandLine)
        }
        return sandbox
    }
}
