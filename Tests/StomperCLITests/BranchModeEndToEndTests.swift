import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `stomper fix --branch NAME` through the built binary: CI checkouts (shallow, detached, dirty),
/// the refusals, read-only commands on a detached HEAD, the CI loop guard, crash and resume.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct BranchModeEndToEndTests {
    static let notCI: [String: String?] = ["CI": nil, "GITHUB_ACTIONS": nil, "GITLAB_CI": nil, "BUILDKITE": nil, "STOMPER_CI": nil]
    static let inCI: [String: String?] = ["CI": "true", "GITHUB_ACTIONS": "true", "GITLAB_CI": nil, "BUILDKITE": nil, "STOMPER_CI": nil]

    /// Every file's bytes under `root` (`.git` left out but for its index and HEAD).
    static func snapshot(_ root: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)!
        while let path = enumerator.nextObject() as? String {
            if path == ".git" || path.hasPrefix(".git/") { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = FileManager.default.contents(atPath: root + "/" + path)
            }
        }
        for file in [".git/index", ".git/HEAD"] { files[file] = FileManager.default.contents(atPath: root + "/" + file) }
        return files
    }

    static func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Whether ruff finds nothing in `path` as committed on `revision`.
    static func ruffIsClean(_ fixture: GitFixture, _ revision: String, _ path: String) async throws -> Bool {
        let content = try await fixture.git("show", "\(revision):\(path)")
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "ruff", arguments: ["check", "--no-cache", "-q", "--stdin-filename", path, "-"],
                workingDirectory: fixture.root, input: Array(content.utf8), timeout: .seconds(120)))
        return result.exitCode == 0
    }

    /// A shallow clone (`--depth 1`) of a repository with `fixable` files to fix, detached, as
    /// GitHub Actions checks a pull request out.
    static func shallowCheckout(_ dir: String, fixable: Int) async throws -> PythonRepository {
        let origin = try await PythonRepository.create(at: dir + "/origin", fixable: fixable)
        try origin.fixture.write(["README.md": "second commit\n"])
        try await origin.fixture.commitAll("second")
        _ = try await ProcessRunner.run(
            ProcessSpec(
                executable: "git", arguments: ["clone", "-q", "--depth", "1", "file://" + origin.root, dir + "/ci"],
                workingDirectory: dir, timeout: .seconds(60)))
        let clone = PythonRepository(fixture: GitFixture(root: dir + "/ci"))
        try await clone.fixture.git("config", "user.name", "CI")
        try await clone.fixture.git("config", "user.email", "ci@example.com")
        try await clone.fixture.git("checkout", "-q", "--detach")
        #expect(FileManager.default.fileExists(atPath: clone.root + "/.git/shallow"))
        return clone
    }

    @Test func aShallowDetachedDirtyCICheckoutGetsItsFixesOnTheBranchAndNothingElseChanges() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await shallowCheckoutAndDirty(dir)
            let head = try await repo.fixture.head()
            let before = Self.snapshot(repo.root)
            let status = try await repo.fixture.git("status", "--porcelain=v1")
            let result = try await repo.stomper(["fix", "--branch", "stomper/fixes", "--json"], environment: Self.inCI)
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let report = try repo.report(result)
            #expect(report["landing"] as? String == "branch" && report["branch"] as? String == "stomper/fixes")
            // HEAD still detached at the same commit; every file, the index and the status as they were.
            #expect(try await repo.fixture.head() == head)
            #expect(try await repo.fixture.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD\n")
            #expect(Self.snapshot(repo.root) == before)
            #expect(try await repo.fixture.git("status", "--porcelain=v1") == status)
            // One verified commit per file on the branch, on top of HEAD, built from HEAD's content.
            let commits = try await repo.fixture.git("rev-list", "\(head)..stomper/fixes").split(separator: "\n").map(String.init)
            #expect(commits.count == 2)
            var fixed: [String] = []
            for commit in commits {
                let touched = try await repo.fixture.git("show", "--name-only", "--format=", commit).split(separator: "\n").map(String.init)
                #expect(touched.count == 1)
                fixed += touched
            }
            #expect(fixed.sorted() == ["src/pkg/fixable_0.py", "src/pkg/fixable_1.py"])
            for path in fixed { #expect(try await Self.ruffIsClean(repo.fixture, "stomper/fixes", path), "\(path)") }
            // The user's uncommitted line is not on the branch.
            #expect(!(try await repo.fixture.git("show", "stomper/fixes:src/pkg/fixable_0.py").contains("uncommitted")))
            #expect(try await repo.worktreeCount() == 1)

            // Run again on the branch's tip in CI: the loop guard stops it, nothing lands.
            try await repo.fixture.git("reset", "-q", "--hard")
            try await repo.fixture.git("clean", "-qfd")
            try await repo.fixture.git("checkout", "-q", "--detach", "stomper/fixes")
            let tip = try await repo.fixture.head()
            let again = try await repo.stomper(["fix", "--branch", "stomper/fixes"], environment: Self.inCI)
            #expect(again.exitCode == 0, "\(again.stderrText)")
            #expect(
                again.stdoutText.contains("stomper's own commit") && again.stdoutText.contains(String(tip.prefix(12))),
                "\(again.stdoutText)")
            #expect(again.stdoutText.split(separator: "\n").count == 1)
            #expect(Self.trimmed(try await repo.fixture.git("rev-parse", "stomper/fixes")) == tip)
        }
    }

    func shallowCheckoutAndDirty(_ dir: String) async throws -> PythonRepository {
        let repo = try await Self.shallowCheckout(dir, fixable: 2)
        // Dirty: a lint error added to a file that has fixes, a new untracked file with errors.
        let full = repo.root + "/src/pkg/fixable_0.py"
        try Data(((try String(contentsOfFile: full, encoding: .utf8)) + "import json  # uncommitted\n").utf8)
            .write(to: URL(fileURLWithPath: full))
        try repo.fixture.write(["scratch.py": "import os\n"])
        return repo
    }

    /// The loop guard applies in CI only, and `--allow-own-head` lifts it.
    @Test func theLoopGuardActsOnlyInCIAndCanBeLifted() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let first = try await repo.stomper(["fix"], environment: Self.notCI)
            #expect(first.exitCode == 0, "\(first.stderrText)")
            try repo.fixture.write(["src/pkg/more.py": PythonSamples.fixable(7)])
            try await repo.fixture.git("add", "-A")
            // Amend the fix commit so HEAD (stomper's commit, Stomper-Run trailer) has work left.
            try await repo.fixture.git("commit", "-q", "--amend", "--no-edit")
            let guarded = try await repo.stomper(["fix"], environment: Self.inCI)
            #expect(guarded.exitCode == 0 && guarded.stdoutText.contains("stomper's own commit"), "\(guarded.stdoutText)")
            #expect(try await repo.commitCount() == 2)
            let lifted = try await repo.stomper(["fix", "--allow-own-head"], environment: Self.inCI)
            #expect(lifted.exitCode == 0 && !lifted.stdoutText.contains("own commit"), "\(lifted.stdoutText) \(lifted.stderrText)")
            #expect(try await repo.commitCount() == 3)
            // Outside CI it does not apply.
            try repo.fixture.write(["src/pkg/last.py": PythonSamples.fixable(8)])
            try await repo.fixture.git("add", "-A")
            try await repo.fixture.git("commit", "-q", "--amend", "--no-edit")
            let outside = try await repo.stomper(["fix"], environment: Self.notCI)
            #expect(outside.exitCode == 0 && !outside.stdoutText.contains("own commit"), "\(outside.stdoutText)")
            #expect(try await repo.commitCount() == 4)
        }
    }

    @Test func refusalsExitTwoAndNameTheProblem() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let base = try await repo.fixture.head()
            // An existing branch that does not contain HEAD.
            try await repo.fixture.git("checkout", "-q", "-b", "elsewhere")
            try repo.fixture.write(["other.txt": "x\n"])
            try await repo.fixture.commitAll("elsewhere")
            let elsewhere = try await repo.fixture.head()
            try await repo.fixture.git("checkout", "-q", "main")
            try repo.fixture.write(["main.txt": "y\n"])
            try await repo.fixture.commitAll("main moves on")
            let head = try await repo.fixture.head()
            let diverged = try await repo.stomper(["fix", "--branch", "elsewhere"], environment: Self.notCI)
            #expect(diverged.exitCode == 2)
            for part in ["elsewhere", String(elsewhere.prefix(12)), String(head.prefix(12)), "git branch -f elsewhere HEAD"] {
                #expect(diverged.stderrText.contains(part), "\(part): \(diverged.stderrText)")
            }
            // The checked-out branch itself, and a branch checked out in a linked worktree.
            let current = try await repo.stomper(["fix", "--branch", "main"], environment: Self.notCI)
            #expect(current.exitCode == 2 && current.stderrText.contains("checked out in \(repo.root)"), "\(current.stderrText)")
            try await repo.fixture.git("worktree", "add", "-q", "-b", "feature", dir + "/feature", base)
            let linked = try await repo.stomper(["fix", "--branch", "feature"], environment: Self.notCI)
            #expect(
                linked.exitCode == 2 && linked.stderrText.contains("checked out in \(dir)/feature")
                    && linked.stderrText.contains("without --branch"), "\(linked.stderrText)")
            // Not a branch name.
            let invalid = try await repo.stomper(["fix", "--branch", "bad..name"], environment: Self.notCI)
            #expect(invalid.exitCode == 2 && invalid.stderrText.contains("bad..name"), "\(invalid.stderrText)")
            #expect(Self.trimmed(try await repo.fixture.git("rev-parse", "elsewhere")) == elsewhere)
            #expect(try await repo.fixture.head() == head)
        }
    }

    /// `check`, `fix --dry-run` and `status` work on a detached HEAD; `fix` there needs `--branch`.
    @Test func readOnlyCommandsWorkOnADetachedHead() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            try await repo.fixture.git("checkout", "-q", "--detach")
            let head = try await repo.fixture.head()
            let check = try await repo.stomper(["check", "--json"], environment: Self.notCI)
            #expect(check.exitCode != 2 && check.stdoutText.contains("fixable_0.py"), "\(check.stderrText)")
            let dry = try await repo.stomper(["fix", "--dry-run", "--json"], environment: Self.notCI)
            #expect(dry.exitCode == 0, "\(dry.stderrText)")
            let report = try repo.report(dry)
            #expect(report["landing"] as? String == "none")
            #expect((report["branch"] as? String)?.contains("detached at \(head.prefix(12))") == true)
            #expect(try repo.outcomes(report)["src/pkg/fixable_0.py"]?["status"] as? String == "would_fix")
            let status = try await repo.stomper(["status"], environment: Self.notCI)
            #expect(status.exitCode == 0, "\(status.stderrText)")
            let runID = try #require(report["run_id"] as? String, "\(report.keys)")
            let show = try await repo.stomper(["show", runID], environment: Self.notCI)
            #expect(show.exitCode == 0 && show.stdoutText.contains("fixable_0.py"), "\(show.stdoutText) \(show.stderrText)")
            let docgenStatus = try await repo.stomper(["docgen", "status"], environment: Self.notCI)
            #expect(docgenStatus.exitCode == 0, "\(docgenStatus.stderrText)")
            let fix = try await repo.stomper(["fix"], environment: Self.notCI)
            #expect(fix.exitCode == 2 && fix.stderrText.contains("--branch NAME"), "\(fix.stderrText)")
            // A dry run onto a branch verifies and creates nothing.
            let branchDry = try await repo.stomper(["fix", "--dry-run", "--branch", "stomper/fixes", "--json"], environment: Self.notCI)
            #expect(branchDry.exitCode == 0, "\(branchDry.stderrText)")
            #expect(try repo.report(branchDry)["landing"] as? String == "branch")
            #expect(try await repo.fixture.git("branch", "--list", "stomper/fixes").isEmpty)
            // The setting, through its environment variable, does the same.
            let fromEnvironment = try await repo.stomper(
                ["fix", "--dry-run", "--json"],
                environment: Self.notCI.merging(["STOMPER_FIX_BRANCH": "from/env"]) { $1 })
            #expect(try repo.report(fromEnvironment)["landing"] as? String == "branch")
            #expect(try repo.report(fromEnvironment)["branch"] as? String == "from/env")
            #expect(try await repo.fixture.git("branch", "--list", "from/env").isEmpty)
            #expect(try await repo.fixture.head() == head)
            #expect(try await repo.status().isEmpty)
        }
    }

    /// Killed inside a branch-mode landing; meanwhile the user commits to their own branch and
    /// edits a file; `stomper resume` finishes onto the branch and leaves all of that alone.
    @Test(arguments: ["land.checkout:2", "land.after:2"])
    func aKilledBranchRunResumesOntoTheBranchWithoutTouchingTheCheckout(failpoint: String) async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let base = try await repo.fixture.head()
            let killed = try await repo.stomper(
                ["fix", "-p", "1", "--branch", "fixes", "--keep-worktrees"],
                environment: Self.notCI.merging(["STOMPER_FAILPOINT": failpoint]) { $1 })
            #expect(killed.termination == .signaled(SIGKILL))
            // The user goes on working on main: a commit, and an uncommitted edit of a file being fixed.
            try repo.fixture.write(["notes.txt": "mine\n"])
            try await repo.fixture.commitAll("user work")
            let userCommit = try await repo.fixture.head()
            let full = repo.root + "/src/pkg/fixable_2.py"
            try Data(((try String(contentsOfFile: full, encoding: .utf8)) + "# user edit\n").utf8).write(to: URL(fileURLWithPath: full))
            let before = Self.snapshot(repo.root)
            let resumed = try await repo.stomper(["resume", "--json"], environment: Self.notCI)
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            #expect(try repo.report(resumed)["landing"] as? String == "branch")
            #expect(Self.snapshot(repo.root) == before)
            #expect(try await repo.fixture.head() == userCommit)
            #expect(try await repo.fixture.git("rev-parse", "--abbrev-ref", "HEAD") == "main\n")
            let commits = try await repo.fixture.git("rev-list", "\(base)..fixes").split(separator: "\n")
            #expect(commits.count == 3)
            for index in 0..<3 { #expect(try await Self.ruffIsClean(repo.fixture, "fixes", "src/pkg/fixable_\(index).py")) }
            // Each job landed once (no duplicate keys), none of it on main.
            let keys = try await repo.fixture.git("log", "--format=%(trailers:key=Stomper-Key,valueonly)", "fixes")
                .split(separator: "\n").filter { !$0.isEmpty }
            #expect(keys.count == 3 && Set(keys).count == 3)
            #expect(try await repo.fixture.git("log", "--format=%s", "main").contains("fix(") == false)
            #expect(try await repo.fixture.git("fsck", "--no-progress", "--no-dangling").isEmpty)
        }
    }

    /// Docgen after a branch-mode run commits the docs onto the branch, not into the checkout.
    @Test func docsOfABranchRunGoOntoTheBranch() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let head = try await repo.fixture.head()
            try repo.fixture.write(["src/pkg/fixable_0.py": "# an uncommitted edit\n"])
            let before = Self.snapshot(repo.root)
            let result = try await repo.stomper(
                ["fix", "--branch", "fixes", "--json"],
                environment: Self.notCI.merging([
                    "STOMPER_DOCS_ENABLED": "true", "STOMPER_DOCS_GENERATE_MISSING": "true",
                ]) { $1 })
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let docs = try #require(try repo.report(result)["docs"] as? [String: Any], "\(result.stdoutText)")
            let commit = try #require(docs["commit"] as? String)
            #expect(Self.trimmed(try await repo.fixture.git("rev-parse", "fixes")) == commit)
            let subjects = try await repo.fixture.git("log", "--format=%s", "\(head)..fixes").split(separator: "\n")
            #expect(subjects.count == 2 && subjects.first?.hasPrefix("docs:") == true, "\(subjects)")
            #expect(Self.snapshot(repo.root) == before)
            #expect(try await repo.fixture.head() == head)
        }
    }

    /// A user working in the same clone while a branch-mode run's agents wait (the agent says when
    /// it started and waits for the test's go): a commit on main, an edit of a file being fixed, a
    /// switch to a new branch and a commit there. All of it stays as the user left it; the fixes
    /// land on the run's branch only, built from the base's content.
    @Test func aUserWorkingBesideABranchRunIsUnaffected() async throws {
        try await withTemporaryDirectory { dir in
            var files: [String: String] = [:]
            for name in ["u_a", "u_b"] { files["src/\(name).py"] = "import os\n\n\ndef \(name)() -> int:\n    return 1\n" }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: files)
            let base = try await repo.fixture.head()
            let (_, signal, environment) = try AdversarialUserTests.waitingAgentSetup(in: dir)
            async let run = repo.stomper(
                ["fix", "--parallel", "1", "--timeout", "120", "--json", "--branch", "fixes"],
                environment: Self.notCI.merging(environment) { $1 })
            var userCommit = ""
            var topicCommit = ""
            let edited = "import os\n\n\ndef u_b() -> int:\n    return 2  # the user's uncommitted edit\n"
            do {
                for name in ["u_a", "u_b"] {
                    try await poll("the agent of \(name) waiting") { FileManager.default.fileExists(atPath: "\(signal)/ready-\(name)") }
                    if name == "u_a" {
                        try repo.fixture.write(["notes.txt": "the user's notes\n"])
                        _ = try await AdversarialUserTests.userGit(repo, "add", "notes.txt")
                        _ = try await AdversarialUserTests.userGit(repo, "commit", "-q", "-m", "user commit during a run")
                        userCommit = try await repo.fixture.head()
                        try repo.fixture.write(["src/u_b.py": edited])
                    } else {
                        _ = try await AdversarialUserTests.userGit(repo, "switch", "-q", "-c", "topic")
                        try repo.fixture.write(["topic.txt": "topic\n"])
                        _ = try await AdversarialUserTests.userGit(repo, "add", "topic.txt")
                        _ = try await AdversarialUserTests.userGit(repo, "commit", "-q", "-m", "topic work")
                        topicCommit = try await repo.fixture.head()
                    }
                    _ = FileManager.default.createFile(atPath: "\(signal)/go-\(name)", contents: nil)
                }
            } catch {
                for name in ["u_a", "u_b"] { _ = FileManager.default.createFile(atPath: "\(signal)/go-\(name)", contents: nil) }
                _ = try? await run
                throw error
            }
            let result = try await run
            #expect(result.exitCode == 0, "\(result.stderrText.suffix(2000))")
            let outcomes = try repo.outcomes(try repo.report(result))
            for name in ["u_a", "u_b"] { #expect(outcomes["src/\(name).py"]?["status"] as? String == "fixed", "\(name)") }
            // The user's work, as the user left it.
            #expect(Self.trimmed(try await repo.fixture.git("rev-parse", "main")) == userCommit)
            #expect(try await repo.fixture.git("rev-parse", "--abbrev-ref", "HEAD") == "topic\n")
            #expect(try await repo.fixture.head() == topicCommit)
            #expect(try repo.fixture.read("src/u_b.py") == edited)
            #expect(try await repo.fixture.git("status", "--porcelain") == " M src/u_b.py\n")
            // The fixes: on the branch only, one per file, from the base's content.
            let commits = try await repo.fixture.git("rev-list", "\(base)..fixes").split(separator: "\n")
            #expect(commits.count == 2)
            #expect(try await repo.fixture.git("show", "fixes:src/u_b.py") == "\n\ndef u_b() -> int:\n    return 1\n")
            #expect(try await repo.fixture.git("log", "--format=%s", "main").contains("fix(") == false)
            #expect(try await repo.fixture.git("log", "--format=%s", "topic").contains("fix(") == false)
        }
    }

    /// Killed after a landing in a shallow, detached CI clone: resume finds the landed jobs in the
    /// branch's history (libgit2 1.5.1 does not know shallow clones; the walk must stop at the
    /// boundary, not fail) and lands the rest once each.
    @Test func aKilledRunInAShallowCloneResumesFromTheBranchHistory() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await Self.shallowCheckout(dir, fixable: 3)
            let head = try await repo.fixture.head()
            let killed = try await repo.stomper(
                ["fix", "-p", "1", "--branch", "stomper/fixes"],
                environment: Self.inCI.merging(["STOMPER_FAILPOINT": "land.after:2"]) { $1 })
            #expect(killed.termination == .signaled(SIGKILL))
            let resumed = try await repo.stomper(["resume"], environment: Self.inCI)
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            #expect(resumed.stdoutText.contains("found landed in git history"), "\(resumed.stdoutText)")
            let keys = try await repo.fixture.git("log", "--format=%(trailers:key=Stomper-Key,valueonly)", "\(head)..stomper/fixes")
                .split(separator: "\n").filter { !$0.isEmpty }
            #expect(keys.count == 3 && Set(keys).count == 3)
            #expect(try await repo.fixture.head() == head)
            #expect(try await repo.fixture.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD\n")
        }
    }
}
