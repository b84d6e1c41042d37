import Logging
import StomperGit
import StomperProcess
public import StomperQuality

/// The checks a run applies: linters, the anti-suppression gate, the test command.
extension Workspace {
    /// Every enabled linter, in the order autofix should apply their fixes: the built-in ones in
    /// `LinterKind` order, then the `[[quality.*]]` tools. Throws `CoreError.noLinter` when none is.
    ///
    /// A linter found through a pyenv or asdf shim runs the program the shim resolves to in this
    /// repository (asked once here): a shim costs more per call than ruff's whole check of a file.
    public func makeLinters() async throws -> [any Linter] {
        let configuration = self.configuration
        var linters: [any Linter] = []
        var resolved: [String: String] = [:]
        func program(_ executable: String) async -> String {
            if let known = resolved[executable] { return known }
            let path = await VersionManagerShim.resolve(executable, in: repository.workdir)
            if path != executable { logger.debug("\(executable): running \(path) (resolved from a version-manager shim)") }
            resolved[executable] = path
            return path
        }
        for kind in LinterKind.enabled(in: configuration) {
            let executable = await program(kind.executable(in: configuration))
            switch kind {
            case .ruff:
                linters.append(
                    RuffLinter(
                        executable: executable, extraArguments: configuration.ruffArguments,
                        unsafeFixes: configuration.unsafeFixes, batcher: configuration.ruffBatch ? RuffBatcher() : nil))
            case .ruffFormat:
                linters.append(RuffFormatLinter(executable: executable))
            case .mypy:
                // Incremental checks: a cache per root under .git/stomper/mypy-cache (see MypyCache).
                let cache =
                    configuration.mypyCache
                    ? MypyCache(folder: repository.commonDir + "/stomper/mypy-cache", seedRoot: repository.workdir) : nil
                linters.append(MypyLinter(executable: executable, extraArguments: configuration.mypyArguments, cache: cache))
            case .shellcheck:
                linters.append(ShellcheckLinter(executable: executable, extraArguments: configuration.shellcheckArguments))
            }
        }
        for tool in configuration.sarif {
            linters.append(
                SarifLinter(
                    name: tool.name, source: tool.command.isEmpty ? .file(tool.file) : .command(tool.command),
                    versionCommand: tool.versionCommand.isEmpty ? nil : tool.versionCommand))
        }
        for tool in configuration.patterns {
            linters.append(
                try PatternLinter(
                    name: tool.name, command: tool.command,
                    pattern: tool.pattern.isEmpty ? PatternLinter.defaultPattern : tool.pattern,
                    versionCommand: tool.versionCommand.isEmpty ? nil : tool.versionCommand))
        }
        guard !linters.isEmpty else {
            throw CoreError(
                .noLinter, "no linter is enabled: set linters.enabled in stomper.toml (e.g. [\"ruff\"]) or add a [[quality.sarif]] tool",
                subject: "linters.enabled")
        }
        return linters
    }

    /// The gate with the rules `verify.gate_allow` lets through; nil when `verify.gate` is off.
    public func makeGate() throws -> SuppressionGate? {
        guard configuration.gate else { return nil }
        var allowed: Set<SuppressionGate.Rule> = []
        for name in configuration.gateAllow {
            guard let rule = SuppressionGate.Rule(rawValue: name) else {
                throw CoreError(
                    .invalidSetting,
                    "verify.gate_allow names an unknown rule \"\(name)\": "
                        + "use \(SuppressionGate.Rule.allCases.map(\.rawValue).joined(separator: ", "))",
                    subject: "verify.gate_allow")
            }
            allowed.insert(rule)
        }
        return SuppressionGate(allowed: allowed)
    }

    /// The test command (`verify.test_command`) run after each attempt, in `sandbox` when given;
    /// nil when none is set.
    public func makeTests(sandbox: RunSandbox? = nil) throws -> TestCommand? {
        guard !configuration.testCommand.isEmpty else { return nil }
        var tests = try TestCommand(argv: configuration.testCommand, timeout: .seconds(configuration.testTimeoutSeconds))
        tests.sandbox = sandbox?.tools
        tests.testMap = try configuration.testMap.map(TestMapRule.init)
        tests.withoutTestFile = configuration.testMissing
        tests.scope = configuration.testScope
        return tests
    }
}
