import Foundation
import StomperAgents
import StomperCore
import StomperProcess
import StomperQuality
import StomperTestSupport
import Testing

/// Hostile agents, linters and test commands run in a run's sandbox (real bwrap, a real repository
/// and a worktree where the pool puts them): nothing outside the worktree changes.
@Suite(.tags(.unit), .timeLimit(.minutes(5))) struct SandboxContainmentTests {
    struct Setup {
        let dir: String
        let repo: GitFixture
        let worktree: String
        let scratch: String
        let sandbox: RunSandbox
        var common: String { repo.root + "/.git" }

        static func make(in dir: String) async throws -> Setup {
            let repo = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 1\n", "b.py": "y = 2\n"])
            let worktree = repo.root + "/.git/stomper/worktrees/stomper-wt-test"
            try await repo.git("worktree", "add", "-q", "--detach", worktree, "HEAD")
            let scratch = repo.root + "/.git/stomper/tmp/run-test"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let sandbox = try #require(try await RunSandbox.make(configuration: StomperConfiguration(), commonDir: repo.root + "/.git"))
            return Setup(dir: dir, repo: repo, worktree: worktree, scratch: scratch, sandbox: sandbox)
        }

        func request(_ path: String = "a.py", timeout: Duration = .seconds(60)) -> FixRequest {
            FixRequest(worktree: worktree, path: path, diagnostics: [], timeout: timeout, scratchDirectory: scratch)
        }

        /// An agent running `script` with sh, the sandbox a preset would get (network on).
        func agent(_ script: String, network: Bool = true) throws -> CommandAgent {
            let path = dir + "/agent-\(UUID().uuidString).sh"
            try ("#!/bin/sh\n" + script).write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, 0o755)
            var agent = try CommandAgent(argv: [path, "{file}"], stdin: .empty)
            agent.sandbox = sandbox.agent(network: network)
            return agent
        }

        /// Every file under the common git directory but the pool's own folder (worktrees,
        /// scratch), with its content: what an agent must not change.
        func gitState() throws -> [String: Data] {
            var state: [String: Data] = [:]
            let enumerator = FileManager.default.enumerator(atPath: common)
            while let relative = enumerator?.nextObject() as? String {
                if relative == "stomper" { enumerator?.skipDescendants(); continue }
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: common + "/" + relative, isDirectory: &isDirectory)
                state[relative] = isDirectory.boolValue ? Data() : try Data(contentsOf: URL(fileURLWithPath: common + "/" + relative))
            }
            return state
        }
    }

    /// An agent writing its file, the main checkout, a decoy outside /tmp and the common git dir:
    /// only its own file changes.
    @Test func anAgentCanWriteOnlyItsWorktree() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Setup.make(in: dir)
            let decoy = "/var/tmp/stomper-decoy-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: decoy + "/etc", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: decoy) }
            try "root:x:0:0\n".write(toFile: decoy + "/etc/passwd", atomically: false, encoding: .utf8)
            let before = try setup.gitState()
            let agent = try setup.agent(
                """
                echo 'x = 2' > "$1"
                echo pwned > \(decoy)/etc/passwd; echo pwned > \(decoy)/etc/shadow
                echo pwned > \(setup.repo.root)/a.py; echo pwned > \(setup.repo.root)/new.py
                echo pwned > \(setup.common)/config; echo pwned > \(setup.common)/info/exclude
                echo pwned > \(setup.worktree)/../../../worktrees/stomper-wt-test/HEAD
                exit 0
                """)
            let outcome = try await agent.fix(setup.request())
            #expect(outcome.status == .completed, "\(outcome.output)")
            #expect(outcome.output.contains("Read-only file system"))
            #expect(try String(contentsOfFile: setup.worktree + "/a.py", encoding: .utf8) == "x = 2\n")
            #expect(try String(contentsOfFile: decoy + "/etc/passwd", encoding: .utf8) == "root:x:0:0\n")
            #expect(!FileManager.default.fileExists(atPath: decoy + "/etc/shadow"))
            #expect(try setup.repo.read("a.py") == "x = 1\n")
            #expect(!FileManager.default.fileExists(atPath: setup.repo.root + "/new.py"))
            #expect(try setup.gitState() == before)
        }
    }

    /// Git commands that write the repository fail from inside: commit (through GIT_DIR and in the
    /// worktree), update-ref, stash, tag, worktree add, config, hooks, alternates.
    @Test func gitWritesFromInsideFailAndTheRepositoryIsUnchanged() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Setup.make(in: dir)
            let before = try setup.gitState()
            let head = try await setup.repo.head()
            let refs = try await setup.repo.git("for-each-ref")
            let agent = try setup.agent(
                """
                echo 'x = 2' > "$1"
                failures=0
                attempt() { if "$@" >/dev/null 2>&1; then echo "succeeded: $*"; else failures=$((failures + 1)); fi; }
                attempt env GIT_DIR=\(setup.common) GIT_WORK_TREE=\(setup.worktree) git -c user.name=m -c user.email=m@x commit -qam evil
                attempt git -c user.name=m -c user.email=m@x commit -qam evil
                attempt git update-ref refs/heads/main HEAD~0
                attempt env GIT_DIR=\(setup.common) git update-ref -d refs/heads/main
                attempt git -c user.name=m -c user.email=m@x stash
                attempt git tag evil
                attempt git worktree add -q --detach \(dir)/evil-worktree
                attempt git config user.name Mallory
                attempt sh -c 'printf "#!/bin/sh\\necho pwned\\n" > \(setup.common)/hooks/post-commit'
                attempt sh -c 'echo /tmp > \(setup.common)/objects/info/alternates'
                attempt git add a.py
                echo "failures=$failures"
                """)
            let outcome = try await agent.fix(setup.request())
            #expect(outcome.output.contains("failures=11"), "\(outcome.output)")
            #expect(!outcome.output.contains("succeeded"), "\(outcome.output)")
            #expect(try await setup.repo.head() == head)
            #expect(try await setup.repo.git("for-each-ref") == refs)
            #expect(try setup.gitState() == before)
            #expect(!FileManager.default.fileExists(atPath: dir + "/evil-worktree"))
            // The agent's edit is there, unstaged: the pipeline reads it from the worktree.
            #expect(try String(contentsOfFile: setup.worktree + "/a.py", encoding: .utf8) == "x = 2\n")
        }
    }

    /// A child the agent left behind, which would append to the file after the agent exits, is
    /// dead once the attempt returns: the file stays as the agent left it.
    @Test func aLateWriterIsDeadWhenTheAttemptReturns() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Setup.make(in: dir)
            let file = setup.worktree + "/a.py"
            let agent = try setup.agent(try lateWriterScript(folder: setup.worktree, file: file) + "\necho 'x = 2' > \"$1\"\n")
            let outcome = try await agent.fix(setup.request())
            #expect(outcome.status == .completed, "\(outcome.output)")
            #expect(!fifoHasReader(setup.worktree + "/held"))
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "x = 2\n")
        }
    }

    /// A timed-out agent's whole sandbox is killed, children included.
    @Test func aTimedOutAgentLeavesNothingRunning() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Setup.make(in: dir)
            let agent = try setup.agent(try lateWriterScript(folder: setup.worktree, file: setup.worktree + "/a.py") + "\nsleep 600\n")
            let outcome = try await agent.fix(setup.request(timeout: .milliseconds(500)))
            #expect(outcome.status == .timedOut(after: .milliseconds(500)))
            #expect(!fifoHasReader(setup.worktree + "/held"))
            #expect(try String(contentsOfFile: setup.worktree + "/a.py", encoding: .utf8) == "x = 1\n")
        }
    }

    /// AI CLIs get the network; autofix fixers, linters and test commands do not.
    @Test func theNetworkIsOnlyForAgentCLIs() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Setup.make(in: dir)
            let listener = try LoopbackListener()
            defer { listener.close() }
            let connect = "bash -c '\(listener.connectCommand)' > \(setup.worktree)/$1.net 2>/dev/null || echo refused > \(setup.worktree)/$1.net"
            let preset = try setup.agent("name=$(basename \"$1\" .py); " + connect.replacingOccurrences(of: "$1", with: "$name"))
            _ = try await preset.fix(setup.request())
            #expect(try String(contentsOfFile: setup.worktree + "/a.net", encoding: .utf8) == "connected\n")

            let tool = ScriptLinter(script: dir + "/tool.sh")
            try "#!/bin/sh\nname=$(basename \"$1\" .py)\n\(connect.replacingOccurrences(of: "$1", with: "$name"))\n"
                .write(toFile: tool.script, atomically: false, encoding: .utf8)
            chmod(tool.script, 0o755)
            var autofix = AutofixAgent(linters: [tool], toolVersions: [:])
            autofix.sandbox = setup.sandbox.tools
            _ = try await autofix.fix(setup.request("b.py"))
            #expect(try String(contentsOfFile: setup.worktree + "/b.net", encoding: .utf8) == "refused\n")

            // The linter builds its own spec; the set runs it in the sandbox (Sandbox.current).
            let set = try LinterSet([ScriptLinter(script: tool.script)], sandbox: setup.sandbox.tools)
            _ = try await set.lint(paths: ["c.py"], root: setup.worktree)
            #expect(try String(contentsOfFile: setup.worktree + "/c.net", encoding: .utf8) == "refused\n")

            var tests = try TestCommand(argv: [tool.script, "{file}"], timeout: .seconds(60))
            tests.sandbox = setup.sandbox.tools
            _ = await tests.run(path: "d.py", in: setup.worktree)
            #expect(try String(contentsOfFile: setup.worktree + "/d.net", encoding: .utf8) == "refused\n")
        }
    }

    /// Linters and the test command cannot write outside the worktree either, and real ruff works
    /// in the sandbox.
    @Test func lintersAndTestsAreContainedAndStillWork() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Setup.make(in: dir)
            try "import os\n".write(toFile: setup.worktree + "/a.py", atomically: false, encoding: .utf8)
            let set = try LinterSet([RuffLinter()], sandbox: setup.sandbox.tools)
            let diagnostics = try await set.lint(paths: ["a.py"], root: setup.worktree)
            #expect(diagnostics.map(\.code) == ["F401"])
            let before = try setup.gitState()
            let script = dir + "/pytest.sh"
            try "#!/bin/sh\necho pwned > \(setup.repo.root)/b.py; echo pwned > \(setup.common)/HEAD; echo ok > \"$1.tested\"\n"
                .write(toFile: script, atomically: false, encoding: .utf8)
            chmod(script, 0o755)
            var tests = try TestCommand(argv: [script, "{file}"], timeout: .seconds(60))
            tests.sandbox = setup.sandbox.tools
            let result = await tests.run(path: "a.py", in: setup.worktree)
            #expect(result.passed, "\(result.summary) \(result.output)")
            #expect(try String(contentsOfFile: setup.worktree + "/a.py.tested", encoding: .utf8) == "ok\n")
            #expect(try setup.repo.read("b.py") == "y = 2\n")
            #expect(try setup.gitState() == before)
        }
    }

    /// `agent.sandbox = "none"` gives no sandbox; a bwrap that cannot create namespaces stops
    /// the run before any agent, naming the remedy.
    @Test func theSandboxIsOptionalAndAFailingProbeIsAClearError() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = StomperConfiguration()
            configuration.sandbox = .none
            #expect(try await RunSandbox.make(configuration: configuration, commonDir: dir) == nil)
            let fake = dir + "/bwrap"
            try "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n"
                .write(toFile: fake, atomically: false, encoding: .utf8)
            chmod(fake, 0o755)
            await #expect {
                _ = try await RunSandbox.make(configuration: StomperConfiguration(), commonDir: dir, bwrap: fake)
            } throws: { error in
                (error as? ProcessError)?.code == .sandboxRefused && "\(error)".contains("No permissions to create new namespace")
            }
            // Home folders of presets are expanded and created when missing.
            let home = dir + "/home"
            let sandbox = try #require(
                try await RunSandbox.make(
                    configuration: StomperConfiguration(), commonDir: dir,
                    environment: [
                        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "",
                        "HOME": home,
                    ]))
            let agent = sandbox.agent(network: true, folders: ["~/.claude"], files: ["~/.claude.json"], environment: ["HOME": home])
            #expect(agent.writableIfPresent == [home + "/.claude", home + "/.claude.json"])
            #expect(agent.network && !sandbox.tools.network)
            #expect(FileManager.default.fileExists(atPath: home + "/.claude"))

            // agent.sandbox_writable: `~` expanded, writable to every sandboxed process.
            let outside = "/var/tmp/stomper-sandbox-\(UUID().uuidString)"
            var extra = StomperConfiguration()
            extra.sandboxWritable = ["~/cache", "~/missing"]
            try FileManager.default.createDirectory(atPath: home + "/cache", withIntermediateDirectories: true)
            let withExtra = try #require(
                try await RunSandbox.make(
                    configuration: extra, commonDir: dir,
                    environment: [
                        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "", "HOME": home,
                    ]))
            let result = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "/bin/sh", arguments: ["-c", "echo ok > \(home)/cache/x; echo no > \(outside)"],
                    timeout: .seconds(60), sandbox: withExtra.tools))
            #expect(result.stderrText.contains("Read-only file system"))
            #expect(try String(contentsOfFile: home + "/cache/x", encoding: .utf8) == "ok\n")
            #expect(!FileManager.default.fileExists(atPath: outside))
        }
    }
}

/// A linter whose lint and fix both run `script` with the file's name; it reports nothing.
struct ScriptLinter: Linter {
    let name = "script"
    let script: String

    func version() async throws -> String { "1" }

    func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        _ = try await ProcessRunner.run(
            ProcessSpec(
                executable: script, arguments: paths, workingDirectory: root,
                timeout: .seconds(60)))
        return []
    }

    func fixCommand(path: String, root: String) -> FixCommand? {
        FixCommand(
            spec: ProcessSpec(executable: script, arguments: [path], workingDirectory: root, timeout: .seconds(60)),
            successExitCodes: [0])
    }
}
