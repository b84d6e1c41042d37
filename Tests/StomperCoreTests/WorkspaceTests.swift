import Foundation
import Logging
import StomperAgents
import StomperCore
import StomperGit
import StomperQuality
import StomperTestSupport
import Testing

/// `Workspace`: the one place that builds what a command runs. These tests start no linter and
/// no agent: tool versions are given, and the only processes are git's in the fixture.
@Suite(.tags(.unit)) struct WorkspaceTests {
    static func workspace(
        in root: String, files: [String: String] = ["a.py": "x = 1\n"],
        _ change: (inout StomperConfiguration) -> Void = { _ in }
    ) async throws -> Workspace {
        let fixture = try await GitFixture.create(at: root + "/repo", files: files)
        var configuration = StomperConfiguration()
        configuration.sandbox = .none
        change(&configuration)
        var logger = Logger(label: "stomper-test")
        logger.logLevel = .critical
        return Workspace(repository: try GitRepository.discover(from: fixture.root), configuration: configuration, logger: logger)
    }

    @Test func lintersAreBuiltFromTheirKindsInFixOrder() async throws {
        try await withTemporaryDirectory { dir in
            let workspace = try await Self.workspace(in: dir) {
                $0.linters = ["shellcheck", "mypy", "ruff-format", "ruff"]
                $0.patterns = [.init(name: "yamllint", command: ["yamllint", "-f", "parsable"])]
            }
            let names = try await workspace.makeLinters().map(\.name)
            #expect(names == ["ruff", "ruff-format", "mypy", "shellcheck", "yamllint"])
            #expect(LinterKind.enabled(in: workspace.configuration) == LinterKind.allCases)
        }
    }

    @Test func noLinterIsACodedError() async throws {
        try await withTemporaryDirectory { dir in
            let workspace = try await Self.workspace(in: dir) { $0.linters = [] }
            await #expect(throws: CoreError.self) { _ = try await workspace.makeLinters() }
            do {
                _ = try await workspace.makeLinters()
            } catch let error as CoreError {
                #expect(error.code == .noLinter && error.subject == "linters.enabled")
                #expect(error.code.isInvalidInput)
            }
        }
    }

    /// A workspace with `fix.agent = "claude"` and no claude program builds the pipeline of
    /// `check` (the agent's identity is known), and refuses the one of `fix`, naming the agent.
    @Test func agentsAreRequiredOnlyByPipelinesThatStartThem() async throws {
        try await withTemporaryDirectory { dir in
            let workspace = try await Self.workspace(in: dir) {
                $0.agent = .claude
                $0.agentExecutable = dir + "/no-such-claude"
                $0.linters = []
                $0.patterns = [.init(name: "grep", command: ["grep", "-n", "TODO"])]
            }
            let check = try await workspace.makePipeline(ledger: nil, toolVersions: [:])
            #expect(check.agents.map(\.identity.kind) == ["claude"])
            do {
                _ = try await workspace.makePipeline(ledger: nil, toolVersions: [:], startsAgents: true)
                Issue.record("a pipeline that starts agents was built without the agent's program")
            } catch let error as CoreError {
                #expect(error.code == .agentUnavailable)
                #expect(error.subject == "claude")
                #expect(error.description.contains("not on PATH"), "\(error)")
            }
        }
    }

    @Test func theGateFollowsItsSettings() async throws {
        try await withTemporaryDirectory { dir in
            let off = try await Self.workspace(in: dir + "/off") { $0.gate = false }
            #expect(try off.makeGate() == nil)
            let bad = try await Self.workspace(in: dir + "/bad") { $0.gateAllow = ["no-such-rule"] }
            #expect(throws: CoreError.self) { _ = try bad.makeGate() }
        }
    }

    @Test func openingMergesTheFileAndFlagsAndChecksThem() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "stomper.toml": "[fix]\nparallel = 3\nagent = \"command\"\n", "src/a.py": "x = 1\n",
                ])
            let workspace = try Workspace.open(at: fixture.root + "/src", environment: [:], flags: ["fix.max_attempts": .int(2)])
            #expect(workspace.configuration.maxParallelFiles == 3)
            #expect(workspace.configuration.agent == .command)
            #expect(workspace.configuration.maxAttempts == 2)
            #expect(workspace.settings.sources["fix.parallel"] == .file && workspace.settings.sources["fix.max_attempts"] == .flag)
            #expect(try workspace.repositoryPaths(["a.py"], from: fixture.root + "/src") == ["src/a.py"])

            let request = try workspace.applying(["fix.parallel": .int(5)])
            #expect(request.configuration.maxParallelFiles == 5 && request.settings.sources["fix.parallel"] == .flag)
            #expect(throws: CoreError.self) { _ = try workspace.applying(["fix.parallel": .int(0)]) }
            #expect(throws: CoreError.self) { _ = try workspace.repositoryPaths(["/"], from: fixture.root) }
            #expect(throws: CoreError.self) { _ = try Workspace.open(at: dir + "/missing", environment: [:]) }

            try fixture.write(["stomper.toml": "[fix]\nparralel = 3\n"])
            do {
                _ = try Workspace.open(at: fixture.root, environment: [:])
                Issue.record("an unknown key was accepted")
            } catch let error as CoreError {
                #expect(error.code == .invalidSetting && error.description.contains("unknown key \"parralel\""), "\(error)")
            }
        }
    }
}
