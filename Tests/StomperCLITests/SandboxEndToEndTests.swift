import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// The sandbox as the built binary sets it up: a missing or refusing bubblewrap stops `fix`
/// before any agent runs, with the remedy; `agent.sandbox = "none"` runs without it.
@Suite(.tags(.e2e), .timeLimit(.minutes(5))) struct SandboxEndToEndTests {
    /// A `PATH` of one folder holding `ruff` (and, when given, a fake `bwrap`), so the real bwrap
    /// in /usr/bin is not found.
    /// ruff itself, not a version manager's shim (which needs bash and more on `PATH`).
    static func searchPath(in dir: String, fakeBwrap: String? = nil) async throws -> String {
        let bin = dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        var ruff = await VersionManagerShim.resolve("ruff", in: dir)
        if !ruff.contains("/") {
            ruff = try #require(
                (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
                    .map { "\($0)/ruff" }.first { FileManager.default.isExecutableFile(atPath: $0) })
        }
        try FileManager.default.createSymbolicLink(atPath: bin + "/ruff", withDestinationPath: ruff)
        if let fakeBwrap {
            try Data(fakeBwrap.utf8).write(to: URL(fileURLWithPath: bin + "/bwrap"))
            chmod(bin + "/bwrap", 0o755)
        }
        return bin
    }

    /// An agent that leaves a mark when it runs.
    static func markingAgent(in dir: String) throws -> String {
        let agent = dir + "/agent.sh"
        try Data("#!/bin/sh\ntouch \(dir)/agent-ran\n".utf8).write(to: URL(fileURLWithPath: agent))
        chmod(agent, 0o755)
        return "[\"\(agent)\", \"{file}\"]"
    }

    @Test func aMissingBwrapStopsTheRunBeforeAnyAgentUnlessTheSandboxIsOff() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let path = try await Self.searchPath(in: dir)
            let agent = try Self.markingAgent(in: dir)
            let result = try await repo.stomper(
                "fix",
                environment: [
                    "PATH": path, "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": agent,
                ])
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("apt-get install bubblewrap"), "\(result.stderrText)")
            #expect(result.stderrText.contains("agent.sandbox = \"none\""))
            #expect(!FileManager.default.fileExists(atPath: dir + "/agent-ran"))
            #expect(try await repo.commitCount() == 1)

            let uncontained = try await repo.stomper("fix", environment: ["PATH": path, "STOMPER_AGENT_SANDBOX": "none"])
            #expect(uncontained.exitCode == 0, "\(uncontained.stderrText)")
            #expect(try await repo.commitCount() == 2)
        }
    }

    @Test func aBwrapThatCannotCreateNamespacesStopsTheRunWithTheRemedy() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let path = try await Self.searchPath(in: dir, fakeBwrap: "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
            let result = try await repo.stomper(
                "fix",
                environment: [
                    "PATH": path, "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": try Self.markingAgent(in: dir),
                ])
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("cannot create the sandbox's namespaces"), "\(result.stderrText)")
            #expect(result.stderrText.contains("setting up uid map: Permission denied"))
            #expect(result.stderrText.contains("kernel.apparmor_restrict_unprivileged_userns"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/agent-ran"))
            #expect(try await repo.commitCount() == 1)
        }
    }

    /// A preset (a fake `claude` on `PATH`) runs in the sandbox the binary builds for it: its own
    /// folder (`~/.claude`) created and writable, nothing else of the home folder written, the network
    /// on; the fix it makes lands.
    @Test func aPresetGetsItsFoldersAndTheNetwork() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/a.py": "import os\n\n\ndef a() -> int:\n    return 1\n"
                ])
            let home = dir + "/home"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            let listener = try LoopbackListener()
            defer { listener.close() }
            let bin = dir + "/bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try Data(
                """
                #!/bin/sh
                cat > /dev/null
                sed -i '/^import os$/d' src/a.py
                echo session > "$HOME/.claude/session"
                echo escaped > "$HOME/escaped"
                if bash -c '\(listener.connectCommand)' > /dev/null 2>&1; then echo connected; else echo refused; fi > "$HOME/.claude/network"
                echo '{"type":"result","subtype":"success","is_error":false,"result":"done"}'

                """.utf8
            ).write(to: URL(fileURLWithPath: bin + "/claude"))
            chmod(bin + "/claude", 0o755)
            let result = try await repo.stomper(
                "fix", "--agent", "claude", "--json",
                environment: [
                    "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""), "HOME": home,
                ])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(try String(contentsOfFile: home + "/.claude/session", encoding: .utf8) == "session\n")
            #expect(try String(contentsOfFile: home + "/.claude/network", encoding: .utf8) == "connected\n")
            #expect(!FileManager.default.fileExists(atPath: home + "/escaped"))
            #expect(try await repo.fixture.git("show", "main:src/a.py") == "\n\ndef a() -> int:\n    return 1\n")
        }
    }

    /// `stomper config dump` shows the two settings with their defaults.
    @Test func theSettingsAreDocumented() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo")
            let dump = try await repo.stomper("config", "dump", environment: ["STOMPER_AGENT_SANDBOX_WRITABLE": "[\"~/.cache/x\"]"])
            #expect(dump.stdoutText.contains("sandbox = \"bwrap\""))
            #expect(dump.stdoutText.contains("sandbox_writable = [\"~/.cache/x\"]"))
            let bad = try await repo.stomper("fix", environment: ["STOMPER_AGENT_SANDBOX": "docker"])
            #expect(bad.exitCode == 2 && bad.stderrText.contains("bwrap, none"), "\(bad.stderrText)")
        }
    }
}
