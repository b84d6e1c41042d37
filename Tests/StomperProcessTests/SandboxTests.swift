import Foundation
@testable import StomperProcess
import StomperTestSupport
import Testing

/// The bubblewrap sandbox, with real bwrap and real processes (bubblewrap must be installed).
@Suite(.tags(.unit), .timeLimit(.minutes(5))) struct SandboxTests {
    static func sandbox(writable: [String] = [], readOnly: [String] = [], network: Bool = false) throws -> Sandbox {
        let bwrap = try #require(
            Sandbox.locate(searchPath: ProcessInfo.processInfo.environment["PATH"] ?? ""),
            "bubblewrap is not installed: apt-get install bubblewrap")
        return Sandbox(bwrap: bwrap, writable: writable, readOnly: readOnly, network: network)
    }

    static func shell(
        _ script: String, in directory: String? = nil, sandbox: Sandbox?,
        timeout: Duration? = .seconds(60)
    ) async throws -> ProcessResult {
        try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", script], workingDirectory: directory,
                timeout: timeout, killGrace: .milliseconds(300), sandbox: sandbox))
    }

    /// A decoy outside /tmp (read-only root) and one in /tmp (hidden by the private /tmp) keep their
    /// content; the writable folder takes the write.
    @Test func onlyTheWritablePathsCanBeWritten() async throws {
        try await withTemporaryDirectory { dir in
            let work = dir + "/work"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let outside = "/var/tmp/stomper-decoy-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: outside) }
            try "decoy\n".write(toFile: outside + "/passwd", atomically: false, encoding: .utf8)
            try "decoy\n".write(toFile: dir + "/decoy", atomically: false, encoding: .utf8)
            let result = try await Self.shell(
                """
                echo pwned > \(outside)/passwd; echo pwned > \(outside)/new; echo pwned > \(dir)/decoy
                echo ok > \(work)/fixed.py
                """, in: work, sandbox: try Self.sandbox(writable: [work]))
            #expect(result.termination == .exited(0), "\(result.stderrText)")
            #expect(result.stderrText.contains("Read-only file system"))
            #expect(try String(contentsOfFile: outside + "/passwd", encoding: .utf8) == "decoy\n")
            #expect(!FileManager.default.fileExists(atPath: outside + "/new"))
            #expect(try String(contentsOfFile: dir + "/decoy", encoding: .utf8) == "decoy\n")
            #expect(try String(contentsOfFile: work + "/fixed.py", encoding: .utf8) == "ok\n")
        }
    }

    /// The common git directory stays read-only inside a writable working tree, and a worktree
    /// inside it is writable again: the deepest bind wins.
    @Test func aReadOnlyPathInsideAWritableOneStaysReadOnlyAndADeeperWritableOneWins() async throws {
        try await withTemporaryDirectory { dir in
            let repo = dir + "/repo"
            let worktree = repo + "/.git/stomper/worktrees/w"
            try FileManager.default.createDirectory(atPath: worktree, withIntermediateDirectories: true)
            try "[core]\n".write(toFile: repo + "/.git/config", atomically: false, encoding: .utf8)
            let sandbox = try Self.sandbox(writable: [worktree, repo], readOnly: [repo + "/.git"])
            let result = try await Self.shell(
                """
                echo evil >> \(repo)/.git/config; mkdir \(repo)/.git/hooks
                echo main > \(repo)/main.txt; echo wt > \(worktree)/a.py
                """, sandbox: sandbox)
            #expect(result.stderrText.contains("Read-only file system"))
            #expect(try String(contentsOfFile: repo + "/.git/config", encoding: .utf8) == "[core]\n")
            #expect(!FileManager.default.fileExists(atPath: repo + "/.git/hooks"))
            #expect(try String(contentsOfFile: repo + "/main.txt", encoding: .utf8) == "main\n")
            #expect(try String(contentsOfFile: worktree + "/a.py", encoding: .utf8) == "wt\n")
        }
    }

    /// The bind order itself: shallowest first, read-only after writable at equal depth, what the
    /// private /tmp hides re-bound unless a writable path shows it already.
    @Test func bindsAreOrderedSoTheDeepestWins() throws {
        let sandbox = Sandbox(
            bwrap: "/usr/bin/bwrap", writable: ["/tmp/r/.git/stomper/worktrees/w", "/tmp/r"],
            writableIfPresent: ["/home/u/.claude"], readOnly: ["/tmp/r/.git", "/tmp/r"])
        let mounts = sandbox.mounts(
            executable: "/tmp/tools/bin/agent", arguments: ["--script", "/tmp/s/script.json", "/tmp/r/x"],
            workingDirectory: "/tmp/r/.git/stomper/worktrees/w",
            searchPath: "/usr/bin:/tmp/tools/bin:/tmp/r/bin:relative")
        #expect(
            mounts.map { "\($0.option) \($0.path)" } == [
                "--bind /tmp/r", "--ro-bind /tmp/r",
                "--bind-try /home/u/.claude", "--ro-bind /tmp/r/.git", "--ro-bind-try /tmp/tools/bin",
                "--ro-bind-try /tmp/s/script.json",
                "--bind /tmp/r/.git/stomper/worktrees/w",
            ])
        let arguments = sandbox.arguments(
            for: ProcessSpec(executable: "agent", arguments: ["--x"], workingDirectory: "/tmp/r"),
            executable: "/tmp/tools/bin/agent", searchPath: "")
        #expect(arguments.contains("--unshare-net") && arguments.contains("--unshare-pid") && arguments.contains("--die-with-parent"))
        #expect(Array(arguments.suffix(3)) == ["--", "/tmp/tools/bin/agent", "--x"])
        #expect(
            !sandbox.withNetwork(true).arguments(for: ProcessSpec(executable: "a"), executable: "/a", searchPath: "")
                .contains("--unshare-net"))
    }

    /// /tmp is private: a file written there is gone with the sandbox, and TMPDIR points there.
    @Test func temporaryFilesArePrivate() async throws {
        let marker = "/tmp/stomper-private-\(UUID().uuidString)"
        let result = try await Self.shell("echo x > \(marker) && cat \(marker) && echo \"$TMPDIR\"", sandbox: try Self.sandbox())
        #expect(result.termination == .exited(0), "\(result.stderrText)")
        #expect(result.stdoutText == "x\n/tmp\n")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// An executable and a PATH folder under /tmp (the tests' scripts) stay visible, read-only.
    @Test func executablesUnderTheHiddenTemporaryFolderStillRun() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            let tool = dir + "/bin/stomper-test-tool"
            try "#!/bin/sh\necho ran \"$@\"\necho x > \"$0\"\n".write(toFile: tool, atomically: false, encoding: .utf8)
            chmod(tool, 0o755)
            let sandbox = try Self.sandbox()
            let byPath = try await ProcessRunner.run(ProcessSpec(executable: tool, arguments: ["a"], sandbox: sandbox))
            #expect(byPath.stdoutText == "ran a\n", "\(byPath.stderrText)")
            let byName = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "stomper-test-tool", environment: ["PATH": dir + "/bin:/usr/bin:/bin"], sandbox: sandbox))
            #expect(byName.stdoutText == "ran\n", "\(byName.stderrText)")
            #expect(try String(contentsOfFile: tool, encoding: .utf8).hasPrefix("#!/bin/sh"))
            await #expect {
                _ = try await ProcessRunner.run(ProcessSpec(executable: "stomper-no-such-\(UUID().uuidString)", sandbox: sandbox))
            } throws: { ($0 as? ProcessError)?.code == .executableNotFound }
        }
    }

    /// A late writer (see `lateWriterScript`) appending to `dir/file.py` after `fixed` was written.
    static func backgroundChildScript(_ dir: String, then: String) throws -> String {
        try lateWriterScript(folder: dir, file: dir + "/file.py") + "\necho fixed > \(dir)/file.py\n\(then)\n"
    }

    static func hasReader(_ fifo: String) -> Bool { fifoHasReader(fifo) }

    /// Everything the command started is dead once the run returns: no late writer.
    @Test func backgroundChildrenDieWithTheCommand() async throws {
        try await withTemporaryDirectory { dir in
            let script = try Self.backgroundChildScript(dir, then: "exit 0")
            let result = try await Self.shell(script, sandbox: try Self.sandbox(writable: [dir]))
            #expect(result.termination == .exited(0), "\(result.stderrText)")
            #expect(!Self.hasReader(dir + "/held"))
            #expect(try String(contentsOfFile: dir + "/file.py", encoding: .utf8) == "fixed\n")
        }
        // The same script uncontained leaves its child running: the check above can fail.
        try await withTemporaryDirectory { dir in
            let script = try Self.backgroundChildScript(dir, then: "exit 0")
            _ = try await Self.shell(script, sandbox: nil)
            #expect(Self.hasReader(dir + "/held"))
        }
    }

    /// A timeout still stops the whole sandbox, background children included.
    @Test func aTimeoutKillsEverythingInTheSandbox() async throws {
        try await withTemporaryDirectory { dir in
            let script = try Self.backgroundChildScript(dir, then: "sleep 600")
            let result = try await Self.shell(script, sandbox: try Self.sandbox(writable: [dir]), timeout: .milliseconds(500))
            #expect(result.timedOut)
            #expect(!Self.hasReader(dir + "/held"))
            #expect(try String(contentsOfFile: dir + "/file.py", encoding: .utf8) == "fixed\n")
        }
    }

    /// A command killed by a signal inside is reported as killed by it, as without the sandbox
    /// (bwrap itself exits with 128 + the signal).
    @Test func aSignalInsideIsReportedAsASignal() async throws {
        let result = try await Self.shell("kill -SEGV $$", sandbox: try Self.sandbox())
        #expect(result.termination == .signaled(SIGSEGV))
        let exited = try await Self.shell("exit 3", sandbox: try Self.sandbox())
        #expect(exited.termination == .exited(3))
    }

    /// A loopback listener of this process is unreachable without network and reachable with it.
    @Test func theNetworkIsOffUnlessAllowed() async throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let connect = listener.connectCommand
        let plain = try await ProcessRunner.run(ProcessSpec(executable: "bash", arguments: ["-c", connect]))
        #expect(plain.stdoutText == "connected\n", "the listener must be reachable at all: \(plain.stderrText)")
        let off = try await ProcessRunner.run(ProcessSpec(executable: "bash", arguments: ["-c", connect], sandbox: try Self.sandbox()))
        #expect(off.termination != .exited(0))
        #expect(off.stdoutText.isEmpty)
        let on = try await ProcessRunner.run(
            ProcessSpec(
                executable: "bash", arguments: ["-c", connect],
                sandbox: try Self.sandbox(network: true)))
        #expect(on.stdoutText == "connected\n", "\(on.stderrText)")
    }

    /// No bwrap: the error names the install command and the opt-out.
    @Test func aMissingBwrapIsAClearError() async throws {
        try await withTemporaryDirectory { dir in
            await #expect {
                _ = try await Sandbox.probe(searchPath: dir)
            } throws: { error in
                guard let error = error as? ProcessError else { return false }
                return error.code == .sandboxMissing && error.description.contains("apt-get install bubblewrap")
                    && error.description.contains("agent.sandbox = \"none\"")
            }
            await #expect(throws: ProcessError.self) { _ = try await Sandbox.probe(bwrap: dir + "/bwrap", searchPath: "") }
        }
    }

    /// A bwrap that cannot create namespaces (a fake that fails like bwrap does): the error says
    /// so, with bwrap's words and the remedies.
    @Test func aBwrapThatCannotCreateNamespacesIsAClearError() async throws {
        try await withTemporaryDirectory { dir in
            let fake = dir + "/bwrap"
            try "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n"
                .write(toFile: fake, atomically: false, encoding: .utf8)
            chmod(fake, 0o755)
            await #expect {
                _ = try await Sandbox.probe(searchPath: dir)
            } throws: { error in
                guard let error = error as? ProcessError else { return false }
                return error.code == .sandboxRefused && error.description.contains("setting up uid map: Permission denied")
                    && error.description.contains("kernel.unprivileged_userns_clone")
                    && error.description.contains("kernel.apparmor_restrict_unprivileged_userns")
                    && error.description.contains("agent.sandbox = \"none\"")
            }
            let real = try await Sandbox.probe(searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "")
            #expect(real.bwrap.hasSuffix("/bwrap"))
        }
    }
    /// bubblewrap refusing to start the command (a bind source that does not exist) is told apart
    /// from a command that ran and exited 1; a command's own exit 1 is not.
    @Test func aCommandBubblewrapCouldNotStartIsReportedAsSuch() async throws {
        try await withTemporaryDirectory { dir in
            let refused = try await Self.shell("echo ran", sandbox: try Self.sandbox(writable: [dir + "/missing-folder"]))
            #expect(refused.termination == .exited(1))
            #expect(refused.standardOutput.isEmpty)
            let said = try #require(refused.sandboxFailure)
            #expect(said.contains(dir + "/missing-folder"))
            let ran = try await Self.shell("echo findings; exit 1", sandbox: try Self.sandbox())
            #expect(ran.termination == .exited(1) && ran.sandboxFailure == nil)
            let quiet = try await Self.shell("echo 'not bwrap' >&2; exit 1", sandbox: try Self.sandbox())
            #expect(quiet.sandboxFailure == nil)
        }
        #expect(
            ProcessRunner.bwrapFailure(termination: .exited(1), standardOutput: [], standardError: Array("bwrap: No permissions\n".utf8))
                == "No permissions")
        #expect(ProcessRunner.bwrapFailure(termination: .exited(2), standardOutput: [], standardError: Array("bwrap: x\n".utf8)) == nil)
        #expect(ProcessRunner.bwrapFailure(termination: .exited(1), standardOutput: Array("[]".utf8), standardError: Array("bwrap: x".utf8)) == nil)
        #expect(ProcessRunner.bwrapFailure(termination: .exited(1), standardOutput: [], standardError: Array("bwrap: x\ntraceback".utf8)) == nil)
    }

    /// More arguments than bubblewrap accepts is a clear error before anything starts, naming the
    /// limit and the remedy, rather than bwrap's own refusal read as the command's exit 1.
    @Test func moreArgumentsThanBubblewrapAcceptsIsAClearError() async throws {
        let spec = ProcessSpec(
            executable: "/bin/true", arguments: (0..<Sandbox.maximumArguments).map { "arg\($0)" }, sandbox: try Self.sandbox())
        await #expect {
            _ = try await ProcessRunner.run(spec)
        } throws: { error in
            guard let error = error as? ProcessError else { return false }
            return error.code == .launchFailed && error.message.contains("at most 9000") && error.message.contains("9000 arguments")
        }
    }
}
