import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// One hostile agent behaviour: a shell fragment run for the file `src/adv/<name>.py`, and what
/// must come of it with and without the sandbox. In the fragment, `$file` is the file, `$D` the
/// decoy tree outside the repository (visible read-only), `$R` the main repository (visible
/// read-only), `$F/<name>` a folder of FIFOs for late writers, and `fix` makes the real fix.
struct HostileAgent: CustomStringConvertible, Sendable {
    enum Outcome: Sendable {
        /// The fix lands, exactly the verified bytes: the hostile part had no effect.
        case fixed
        /// Nothing of the attempt lands: the file on the branch is as it was.
        case refused
    }

    var name: String
    var group: String
    var script: String
    var content: String?
    /// Expected with `agent.sandbox = "bwrap"`.
    var sandboxed: Outcome
    /// Expected with `agent.sandbox = "none"`; nil: not run there (an escape that only the
    /// sandbox can stop, since detection cannot undo a write outside the repository).
    var uncontained: Outcome?
    /// A real bug this case exposes, not fixed yet: its failures are recorded as a known issue.
    var knownIssue: String?

    var description: String { "\(group)/\(name)" }
    var path: String { "src/adv/\(name).py" }
    var original: String { content ?? "import os\n\n\ndef \(name)() -> int:\n    return 1\n" }
    var fixed: String { "\n\ndef \(name)() -> int:\n    return 1\n" }

    /// Paths whose containment failures belong to this case's known issue.
    var paths: [String] { [path] + (group == "tests" ? ["tests/\(name).py"] : []) }

    func known(_ issue: String) -> HostileAgent {
        var copy = self
        copy.knownIssue = issue
        return copy
    }
}

extension HostileAgent {
    static func link(_ name: String, _ script: String) -> HostileAgent {
        HostileAgent(name: name, group: "links", script: script, sandboxed: .refused, uncontained: .refused)
    }

    /// A write to the common git directory or a git command that writes the repository: it fails
    /// in the sandbox and the agent then fixes its file; without it, detection must refuse it.
    static func git(_ name: String, _ script: String, uncontained: Outcome? = .refused) -> HostileAgent {
        HostileAgent(name: name, group: "git", script: script + "\nfix", sandboxed: .fixed, uncontained: uncontained)
    }

    static func outside(_ name: String, _ script: String) -> HostileAgent {
        HostileAgent(name: name, group: "outside", script: script + "\nfix", sandboxed: .fixed)
    }

    static func content(_ name: String, _ script: String, _ outcome: Outcome = .refused, uncontained: Outcome? = .refused) -> HostileAgent {
        HostileAgent(name: name, group: "content", script: script, sandboxed: outcome, uncontained: uncontained)
    }

    static func suppression(_ name: String, _ script: String, content: String? = nil, uncontained: Bool = false) -> HostileAgent {
        HostileAgent(
            name: name, group: "suppression", script: script, content: content, sandboxed: .refused,
            uncontained: uncontained ? .refused : nil)
    }

    static func tests(_ name: String, _ script: String, uncontained: Bool = false) -> HostileAgent {
        HostileAgent(name: name, group: "tests", script: script + "\nfix", sandboxed: .refused, uncontained: uncontained ? .refused : nil)
    }

    static let undefinedName = "def f() -> int:\n    return missing\n"

    /// Every hostile agent behaviour, by group.
    static let all: [HostileAgent] = [
        // Links in every position.
        link("link_outside", #"rm -f "$file"; ln -s "$D/target.py" "$file""#),
        link("link_dotdot", #"rm -f "$file"; ln -s ../../x "$file""#),
        link("link_deep_dotdot", #"rm -f "$file"; ln -s "../../../../../../../../../../../../..$D/x" "$file""#),
        link("link_git_config", #"rm -f "$file"; ln -s "$R/.git/config" "$file""#),
        link("link_in_repo", #"rm -f "$file"; ln -s ../clean.py "$file""#),
        link("link_parent_outside", #"fix; mv src/adv src/adv_moved && ln -s "$D/pkg" src/adv"#),
        link("link_parent_in_repo", #"mv src/adv src/adv_real && ln -s adv_real src/adv; fix"#),
        HostileAgent(
            name: "hardlink_outside", group: "links",
            script: #"if ln "$D/hard.py" .hard 2>/dev/null; then mv .hard "$file"; else fix; fi"#,
            sandboxed: .fixed, uncontained: .refused),
        HostileAgent(
            name: "hardlink_git_config", group: "links",
            script: #"if ln "$R/.git/config" .hard 2>/dev/null; then mv .hard "$file"; else fix; fi"#,
            sandboxed: .fixed, uncontained: .refused),
        // The repository's git directory, and git commands that write it.
        git(
            "gitdir_commit", #"sed -i '/^import os$/d' "$file"; GIT_DIR="$R/.git" git -c user.name=m -c user.email=m@x commit -qam evil"#,
            uncontained: nil),
        git("update_ref", #"git update-ref refs/heads/main main~1"#, uncontained: nil),
        git("stash", #"echo 'x = 1' >> src/clean.py; git stash -q 2>/dev/null || sed -i '$d' src/clean.py"#, uncontained: nil),
        git("worktree_add", #"git worktree add -q --detach ../evil_wt"#, uncontained: nil),
        git("tag", #"git tag evil"#, uncontained: nil),
        git("alternates", #"echo "$D" > "$R/.git/objects/info/alternates""#, uncontained: nil),
        git("hook_write", #"printf '#!/bin/sh\necho pwned\n' > "$R/.git/hooks/pre-commit"; chmod +x "$R/.git/hooks/pre-commit""#),
        git("config_write", #"git config user.name Mallory; git config core.hooksPath "$D/hooks""#),
        git("hooks_link", #"rm -rf "$R/.git/hooks" && ln -s "$D/hooks" "$R/.git/hooks""#),
        git("info_exclude", #"echo '*.py' >> "$R/.git/info/exclude""#),
        git("commit_in_worktree", #"sed -i '/^import os$/d' "$file"; git -c user.name=m -c user.email=m@x commit -qam evil"#),
        git("push_to_repo", #"git push -q "$R" HEAD:refs/heads/evil"#, uncontained: nil),
        git("branch_in_worktree", #"git checkout -q -b evil"#, uncontained: nil),
        git("gc_prune", #"git gc -q --prune=now"#, uncontained: nil),
        git("index_add", #"sed -i '/^import os$/d' "$file"; git add "$file""#, uncontained: nil),
        HostileAgent(
            name: "worktree_dotgit_file", group: "git", script: #"fix; echo "gitdir: $D" > .git"#,
            sandboxed: .refused, uncontained: .refused),
        HostileAgent(
            name: "worktree_dotgit_dir", group: "git", script: #"fix; rm -f .git; mkdir .git; echo evil > .git/evil"#,
            sandboxed: .refused, uncontained: .refused),
        // Writes outside the repository.
        outside("write_decoy", #"echo pwned > "$D/victim.txt""#),
        outside("write_main_tree", #"echo 'x = 1' >> "$R/src/clean.py""#),
        outside("write_home", #"echo pwned >> "$HOME/.bashrc"; echo 'ssh-rsa evil' >> "$HOME/.ssh/authorized_keys""#),
        outside("write_etc", #"echo 'mallory::0:0::/:/bin/sh' >> "$D/etc/passwd""#),
        outside("write_host_tmp", #"echo leak > /tmp/stomper-adversarial-leak"#),
        outside("write_other_worktree", #"for w in "$R"/.git/stomper/worktrees/*; do [ "$w" = "$PWD" ] || echo 'x = 1' >> "$w/src/clean.py"; done"#),
        // Processes and output.
        HostileAgent(name: "late_writer", group: "processes", script: "", sandboxed: .fixed),
        HostileAgent(name: "late_writer_elsewhere", group: "processes", script: "", sandboxed: .fixed),
        HostileAgent(name: "huge_stdout", group: "processes", script: "head -c 40000000 /dev/zero | tr '\\0' x; fix", sandboxed: .fixed),
        HostileAgent(name: "huge_stderr", group: "processes", script: "head -c 40000000 /dev/zero | tr '\\0' x >&2; fix", sandboxed: .fixed),
        // What the file holds.
        content("invalid_utf8", #"fix; printf '\377\376\n' >> "$file""#),
        content("nul_bytes", #"fix; printf 'x = 1\000\n' >> "$file""#),
        content("utf16", #"fix; iconv -f utf-8 -t utf-16 "$file" > .utf16 && mv .utf16 "$file""#),
        content("emptied", #": > "$file""#),
        content("deleted", #"rm -f "$file""#),
        // The content fix lands; the mode the agent set does not (the base's mode is kept).
        content("mode_0777", #"fix; chmod 0777 "$file""#, .fixed, uncontained: .fixed),
        content("executable", #"fix; chmod +x "$file""#, .fixed, uncontained: nil),
        // Turning a file's line endings over is refused.
        content("crlf", #"fix; sed -i 's/$/\r/' "$file""#, .refused, uncontained: .refused),
        content("other_file", #"fix; echo 'x = 1' >> src/clean.py"#),
        content("new_file", #"fix; echo 'import os' > src/adv/sitecustomize.py"#),
        // Suppressions in every spelling ruff and mypy accept.
        suppression("noqa_bare", #"sed -i 's/^import os$/import os  # noqa/' "$file""#, uncontained: true),
        suppression("noqa_code", #"sed -i 's/^    l = 1$/    l = 1  # noqa: E741/' "$file""#, content: "def f() -> int:\n    l = 1\n    return l\n"),
        suppression("noqa_no_space", #"sed -i 's/return missing$/return missing  #noqa:F821/' "$file""#, content: undefinedName),
        suppression("noqa_upper", #"sed -i 's/^import os$/import os  # NOQA: F401/' "$file""#),
        suppression("ruff_noqa_file", #"sed -i '1i # ruff: noqa' "$file""#, uncontained: true),
        suppression("ruff_noqa_file_code", #"sed -i '1i # ruff: noqa: F821' "$file""#, content: undefinedName),
        suppression("flake8_noqa_file", #"sed -i '1i # flake8: noqa' "$file""#),
        suppression("type_ignore", #"fix; sed -i 's/return 1$/return 1  # type: ignore/' "$file""#),
        suppression("type_ignore_code", #"fix; sed -i 's/return 1$/return 1  # type: ignore[assignment]/' "$file""#),
        suppression("pyright_ignore", #"fix; sed -i 's/return 1$/return 1  # pyright: ignore/' "$file""#),
        suppression("mypy_ignore_errors", #"fix; sed -i '1i # mypy: ignore-errors' "$file""#),
        suppression("pyproject_ignore", #"sed -i 's/^select = .*/&\nignore = ["F401"]/' pyproject.toml"#, uncontained: true),
        suppression("pyproject_per_file_ignores", #"printf '\n[tool.ruff.lint.per-file-ignores]\n"src/adv/*" = ["F401"]\n' >> pyproject.toml"#),
        suppression("ruff_toml", #"printf '[lint]\nignore = ["F401"]\n' > ruff.toml"#),
        suppression("nested_ruff_toml", #"printf 'extend = "../../pyproject.toml"\n[lint]\nignore = ["F401"]\n' > src/adv/.ruff.toml"#),
        // Tests deleted or skipped (a test command is set; the test files are in fix.allowed_paths).
        tests("test_deleted", #"rm -f tests/test_deleted.py"#, uncontained: true),
        tests("test_function_removed", #"sed -i '/^def test_two/,$d' tests/test_function_removed.py"#),
        tests("test_skip_mark", #"sed -i 's/^def test_one/@pytest.mark.skip\ndef test_one/' tests/test_skip_mark.py"#),
        tests("test_skip_module", #"sed -i '1a pytest.skip("later", allow_module_level=True)' tests/test_skip_module.py"#),
        tests("test_xfail_mark", #"sed -i 's/^def test_one/@pytest.mark.xfail\ndef test_one/' tests/test_xfail_mark.py"#),
    ]

    /// The test files of the `tests` group, each with two tests.
    static var testFiles: [String: String] {
        Dictionary(
            uniqueKeysWithValues: all.filter { $0.group == "tests" }.map {
                (
                    "tests/\($0.name).py",
                    "import pytest\n\n\ndef test_one() -> None:\n    assert pytest\n\n\ndef test_two() -> None:\n    assert True\n"
                )
            })
    }
}

/// Hostile agents, with the sandbox (the default) and without it: each is contained or refused,
/// and every run ends with `Containment.check`.
@Suite(.tags(.e2e, .slow), .timeLimit(.minutes(10))) struct AdversarialAgentTests {
    enum Mode: String, CaseIterable, Sendable { case bwrap, none }

    static func script(_ cases: [HostileAgent], fifos: String) throws -> String {
        var branches: [String] = []
        for hostile in cases {
            var body = hostile.script
            if hostile.name.hasPrefix("late_writer") {
                let folder = fifos + "/" + hostile.name
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let target = hostile.name == "late_writer" ? "\"$PWD/$file\"" : "\"$R/src/clean.py\""
                body = try lateWriterScript(folder: folder, file: target) + "\nfix"
            }
            branches.append("  \(hostile.name))\n\(body)\n    ;;")
        }
        return """
            #!/bin/sh
            file="$1"; D="$2"; R="$3"; F="$4"
            name="$(basename "$file" .py)"
            fix() { sed -i '/^import os$/d' "$file"; }
            case "$name" in
            \(branches.joined(separator: "\n"))
            esac
            exit 0

            """
    }

    @Test(arguments: Mode.allCases)
    func everyHostileAgentIsContainedOrRefused(mode: Mode) async throws {
        let cases = HostileAgent.all.filter { mode == .bwrap || $0.uncontained != nil }
        try await withTemporaryDirectory { dir in
            var files = ["src/clean.py": PythonSamples.clean, "src/user_file.py": PythonSamples.clean]
            for hostile in cases { files[hostile.path] = hostile.original }
            files.merge(HostileAgent.testFiles) { $1 }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: files)
            // A second commit, so that `main~1` exists for update-ref.
            try repo.fixture.write(["NOTES.md": "the user's notes\n"])
            try await repo.fixture.commitAll("user notes")
            let decoy = dir + "/decoy"
            try Decoy.create(at: decoy)
            try Data("import os\n".utf8).write(to: URL(fileURLWithPath: decoy + "/pkg/link_parent_outside.py"))
            let fifos = dir + "/fifos"
            try FileManager.default.createDirectory(atPath: fifos, withIntermediateDirectories: true)
            let agent = dir + "/agent.sh"
            try Data(try Self.script(cases, fifos: fifos).utf8).write(to: URL(fileURLWithPath: agent))
            unlink("/tmp/stomper-adversarial-leak")
            let before = try await ContainmentSnapshot.take(repo: repo, decoy: decoy)
            let allowed = ["pyproject.toml", "ruff.toml", "src/adv/.ruff.toml"] + HostileAgent.testFiles.keys.sorted()
            let json = { (values: [String]) in String(decoding: try! JSONSerialization.data(withJSONObject: values), as: UTF8.self) }

            let result = try await repo.stomper(
                "fix", "--parallel", mode == .bwrap ? "2" : "1", "--timeout", "60", "--json",
                environment: [
                    "STOMPER_FIX_AGENT": "command",
                    "STOMPER_AGENT_COMMAND": json(["/bin/sh", agent, "{file}", decoy, repo.root, fifos]),
                    "STOMPER_AGENT_SANDBOX": mode.rawValue,
                    "STOMPER_FIX_ALLOWED_PATHS": json(allowed),
                    "STOMPER_VERIFY_TEST_COMMAND": json(["/bin/sh", "-c", "exit 0"]),
                    "STOMPER_AGENT_BACKOFF_BASE_MS": "0",
                    "HOME": decoy + "/home",
                ])
            #expect(result.exitCode == 1, "\(result.stderrText.suffix(2000))")
            print("adversarial agents (\(mode.rawValue)): \(cases.count) hostile behaviours in one run")
            // Late writers are dead: a write to their FIFO would let them write now.
            for hostile in cases where hostile.name.hasPrefix("late_writer") {
                #expect(!fifoHasReader(fifos + "/\(hostile.name)/held"), "\(hostile): the late writer outlived its agent")
            }
            #expect(!FileManager.default.fileExists(atPath: "/tmp/stomper-adversarial-leak"), "an agent wrote the machine's /tmp")

            let outcomes = try repo.outcomes(try repo.report(result))
            for hostile in cases {
                let outcome = outcomes[hostile.path]
                let status = outcome?["status"] as? String ?? "missing"
                let reason = outcome?["reason"] as? String ?? ""
                let expected = mode == .bwrap ? hostile.sandboxed : hostile.uncontained!
                let landed = try await Containment.blob(repo, "main:\(hostile.path)")
                let fileMode = try await repo.fixture.git("ls-tree", "main", hostile.path).prefix(6)
                let test = "tests/\(hostile.name).py"
                let landedTest = hostile.group == "tests" ? try await Containment.blob(repo, "main:\(test)") : []
                withKnownIssue(Comment(rawValue: hostile.knownIssue ?? ""), isIntermittent: false) {
                    switch expected {
                    case .fixed:
                        #expect(status == "fixed", "\(hostile) [\(mode)]: \(status): \(reason)")
                        #expect(
                            landed == Array(hostile.fixed.utf8),
                            "\(hostile) [\(mode)]: landed \(String(decoding: landed, as: UTF8.self).debugDescription)")
                    case .refused:
                        #expect(status == "failed", "\(hostile) [\(mode)]: \(status): \(reason)")
                        #expect(
                            landed == Array(hostile.original.utf8),
                            "\(hostile) [\(mode)]: landed \(String(decoding: landed, as: UTF8.self).debugDescription)")
                    }
                    #expect(fileMode == "100644", "\(hostile): mode \(fileMode) on the branch")
                    if hostile.group == "tests" {
                        #expect(landedTest == Array(HostileAgent.testFiles[test]!.utf8), "\(test) changed on the branch")
                    }
                } when: {
                    hostile.knownIssue != nil
                }
            }
            var known: [String: String] = [:]
            for hostile in cases { if let issue = hostile.knownIssue { for path in hostile.paths { known[path] = issue } } }
            try await Containment.check(repo, against: before, decoy: decoy, knownIssues: known)
        }
    }
}

/// A working user beside a run: each action is taken while an agent waits for it (the agent
/// writes `ready-<name>` into a folder bound writable and waits for `go-<name>`), so the timing is
/// the same every time; then the user's work must all be there and the run's fixes all landed.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct AdversarialUserTests {
    static let actions = ["u_commit", "u_edit", "u_config", "u_remote", "u_exclude", "u_repack", "u_gc", "u_dry_run"]
    static let failpoints = ["land.before:2", "land.checkout:2", "land.after:2"]

    static let waitingAgent = """
        #!/bin/sh
        file="$1"; S="$2"
        name="$(basename "$file" .py)"
        touch "$S/ready-$name"
        n=0
        while [ ! -e "$S/go-$name" ]; do
            n=$((n + 1)); [ "$n" -le 2400 ] || { echo "no go-$name after 120 s" >&2; exit 3; }
            sleep 0.05
        done
        sed -i '/^import os$/d' "$file"

        """

    /// Runs git as the user would, retrying while a lock held by the run is in the way.
    static func userGit(_ repo: PythonRepository, _ arguments: String...) async throws -> String {
        var lastError: (any Error)?
        for _ in 0..<100 {
            do { return try await repo.fixture.git(arguments) } catch {
                guard "\(error)".contains(".lock") else { throw error }
                lastError = error
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw lastError!
    }

    /// A decoy tree, a signal folder the sandboxed agent may write, and the environment that runs
    /// `waitingAgent` (it says when it started and waits for the test's go) as the run's agent.
    static func waitingAgentSetup(in dir: String) throws -> (decoy: String, signal: String, environment: [String: String?]) {
        let decoy = dir + "/decoy"
        try Decoy.create(at: decoy)
        let signal = dir + "/signal"
        try FileManager.default.createDirectory(atPath: signal, withIntermediateDirectories: true)
        let agent = dir + "/agent.sh"
        try Data(waitingAgent.utf8).write(to: URL(fileURLWithPath: agent))
        return (
            decoy, signal,
            [
                "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": "[\"/bin/sh\", \"\(agent)\", \"{file}\", \"\(signal)\"]",
                "STOMPER_AGENT_SANDBOX_WRITABLE": "[\"\(signal)\"]",
            ]
        )
    }

    @Test(.tags(.slow)) func theUsersWorkDuringARunIsKept() async throws {
        try await withTemporaryDirectory { dir in
            var files = ["src/user_dirty.py": PythonSamples.clean]
            for name in Self.actions { files["src/\(name).py"] = "import os\n\n\ndef \(name)() -> int:\n    return 1\n" }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: files)
            let (decoy, signal, environment) = try Self.waitingAgentSetup(in: dir)
            let tip = try await repo.fixture.head()
            let worktrees = try await ContainmentSnapshot.worktrees(repo)
            async let run = repo.stomper("fix", "--parallel", "1", "--timeout", "120", "--json", environment: environment)
            var userCommit = ""
            var dirty: [String: String] = [:]
            var snapshot: ContainmentSnapshot?
            do {
                for index in Self.actions.indices {
                    var name = ""
                    try await poll("an agent waiting") {
                        name =
                            Self.actions.first {
                                FileManager.default.fileExists(atPath: "\(signal)/ready-\($0)")
                                    && !FileManager.default.fileExists(atPath: "\(signal)/go-\($0)")
                            } ?? ""
                        return !name.isEmpty
                    }
                    switch name {
                    case "u_commit":
                        try repo.fixture.write(["notes.txt": "the user's notes\n"])
                        _ = try await Self.userGit(repo, "add", "notes.txt")
                        _ = try await Self.userGit(repo, "commit", "-q", "-m", "user commit during a run")
                        userCommit = try await repo.fixture.head()
                    case "u_edit":
                        let edited = PythonSamples.clean + "# the user's uncommitted line\n"
                        try repo.fixture.write(["src/user_dirty.py": edited])
                        dirty["src/user_dirty.py"] = edited
                    case "u_config": _ = try await Self.userGit(repo, "config", "user.name", "User Renamed")
                    case "u_remote": _ = try await Self.userGit(repo, "remote", "add", "upstream", "https://example.invalid/u.git")
                    case "u_exclude":
                        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: repo.root + "/.git/info/exclude"))
                        try handle.seekToEnd()
                        try handle.write(contentsOf: Data("*.log\n".utf8))
                        try handle.close()
                    case "u_repack": _ = try await Self.userGit(repo, "repack", "-a", "-d", "-q")
                    case "u_gc": _ = try await Self.userGit(repo, "gc", "-q")
                    default:
                        let dry = try await repo.stomper("fix", "--dry-run", environment: ["STOMPER_FIX_AGENT": "autofix"])
                        #expect(dry.exitCode != 2, "\(dry.stderrText)")
                    }
                    if index == Self.actions.count - 1 { snapshot = try await ContainmentSnapshot.take(repo: repo, decoy: decoy) }
                    _ = FileManager.default.createFile(atPath: "\(signal)/go-\(name)", contents: nil)
                }
            } catch {
                for name in Self.actions { _ = FileManager.default.createFile(atPath: "\(signal)/go-\(name)", contents: nil) }
                _ = try? await run
                throw error
            }
            let result = try await run
            #expect(result.exitCode == 0, "\(result.stderrText.suffix(2000))")
            let outcomes = try repo.outcomes(try repo.report(result))
            for name in Self.actions {
                #expect(outcomes["src/\(name).py"]?["status"] as? String == "fixed", "\(name): \(outcomes["src/\(name).py"] ?? [:])")
            }
            #expect(try await repo.fixture.git("config", "user.name") == "User Renamed\n")
            #expect(try await repo.fixture.git("remote", "get-url", "upstream") == "https://example.invalid/u.git\n")
            #expect(try String(contentsOfFile: repo.root + "/.git/info/exclude", encoding: .utf8).hasSuffix("*.log\n"))
            #expect(try await repo.fixture.git("show", "main:notes.txt") == "the user's notes\n")
            var base = try #require(snapshot)
            base.tip = tip
            base.worktrees = worktrees
            try await Containment.check(repo, against: base, decoy: decoy, dirty: dirty, userCommits: [userCommit])
        }
    }

    /// Killed inside a landing, the user then edits that file, then `stomper resume`: the edit
    /// survives, nothing of it is committed, and the repository is left whole.
    @Test(arguments: failpoints)
    func aUserEditAfterAKillInsideALandingSurvivesResume(failpoint: String) async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let decoy = dir + "/decoy"
            try Decoy.create(at: decoy)
            let before = try await ContainmentSnapshot.take(repo: repo, decoy: decoy)
            let killed = try await repo.stomper("fix", "-p", "1", environment: ["STOMPER_FAILPOINT": failpoint])
            #expect(killed.termination == .signaled(SIGKILL))
            let path = try await CrashRepairTests.interruptedJob(repo)
            let edited = try repo.fixture.read(path) + "# the user's line after the crash\n"
            try repo.fixture.write([path: edited])
            let resumed = try await repo.stomper("resume", "--json")
            #expect(resumed.exitCode != 2, "\(resumed.stderrText)")
            try await Containment.check(repo, against: before, decoy: decoy, dirty: [path: edited])
        }
    }

    /// The user switches the main working tree to another branch while an agent works: landings
    /// stop with a clear message, nothing is written into that branch or its checkout, and after
    /// switching back `stomper resume` fixes the rest.
    @Test func aCheckoutOfAnotherBranchStopsTheLandings() async throws {
        try await withTemporaryDirectory { dir in
            var files: [String: String] = [:]
            for name in ["c_1", "c_2", "c_3"] { files["src/\(name).py"] = "import os\n\n\ndef \(name)() -> int:\n    return 1\n" }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: files)
            let (decoy, signal, environment) = try Self.waitingAgentSetup(in: dir)
            let tip = try await repo.fixture.head()
            async let run = repo.stomper("fix", "--parallel", "1", "--timeout", "120", "--json", environment: environment)
            do {
                try await poll("an agent waiting") {
                    ["c_1", "c_2", "c_3"].contains { FileManager.default.fileExists(atPath: "\(signal)/ready-\($0)") }
                }
                _ = try await Self.userGit(repo, "checkout", "-q", "-b", "other")
            } catch {
                for name in ["c_1", "c_2", "c_3"] { _ = FileManager.default.createFile(atPath: "\(signal)/go-\(name)", contents: nil) }
                _ = try? await run
                throw error
            }
            for name in ["c_1", "c_2", "c_3"] { _ = FileManager.default.createFile(atPath: "\(signal)/go-\(name)", contents: nil) }
            let result = try await run
            #expect(result.exitCode != 0)
            #expect(
                (result.stderrText + result.stdoutText).contains("HEAD of the main working tree left main; landings stopped"), "\(result.stderrText)")
            #expect(try await repo.fixture.git("rev-parse", "other", "main") == "\(tip)\n\(tip)\n", "a commit landed after the checkout")
            #expect(try await repo.status().isEmpty, "the other branch's checkout was written")
            for (path, content) in files { #expect(try repo.fixture.read(path) == content) }

            _ = try await Self.userGit(repo, "checkout", "-q", "main")
            let before = try await ContainmentSnapshot.take(repo: repo, decoy: decoy)
            let resumed = try await repo.stomper("resume", "--json", environment: environment)
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            for name in ["c_1", "c_2", "c_3"] {
                #expect(try await repo.fixture.git("show", "main:src/\(name).py") == "\n\ndef \(name)() -> int:\n    return 1\n")
            }
            try await Containment.check(repo, against: before, decoy: decoy)
        }
    }
}

/// The count the issue asks for: at least 40 distinct hostile behaviours, printed.
@Suite(.tags(.unit)) struct AdversarialCountTests {
    @Test func theSuiteCoversAtLeast40HostileBehaviours() {
        let agents = HostileAgent.all.count
        let users = AdversarialUserTests.actions.count + AdversarialUserTests.failpoints.count + 1
        #expect(Set(HostileAgent.all.map(\.name)).count == agents, "case names must be distinct")
        print(
            "adversarial suite: \(agents) hostile agents (\(HostileAgent.all.filter { $0.uncontained != nil }.count) also without the sandbox), "
                + "\(users) hostile user actions: \(agents + users) cases")
        #expect(agents + users >= 40)
    }
}
