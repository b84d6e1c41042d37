import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// Small Python files for the selection tests (ruff `select = ["E", "F", "I", "UP"]`).
private enum SelectionSamples {
    /// One F401 that `ruff check --fix` removes.
    static func unusedImport(_ name: String) -> String {
        "import os\n\n\ndef \(name)() -> int:\n    return 1\n"
    }

    /// Two F401s.
    static func twoUnusedImports(_ name: String) -> String {
        "import os\nimport sys\n\n\ndef \(name)() -> int:\n    return 1\n"
    }

    /// F401 (fixable) and E741 (no fix).
    static let unusedImportAndAmbiguousName = "import os\n\n\ndef f(v: int) -> int:\n    l = v\n    return l\n"

    /// Only UP035 and UP006 (both go away with `ruff check --fix`).
    static let oldTypingOnly = "from typing import List\n\n\ndef f(v: List[int]) -> int:\n    return len(v)\n"

    /// F401 plus UP035 and UP006: every one of them fixable by ruff.
    static let unusedImportAndOldTyping = "import os\nfrom typing import List\n\n\ndef f(v: List[int]) -> int:\n    return len(v)\n"
}

extension PythonRepository {
    /// Files touched by each commit after `base` (default: the initial commit), oldest first.
    fileprivate func selectionFixCommits(since base: String? = nil) async throws -> [[String]] {
        let root = try await fixture.git("rev-list", "--max-parents=0", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let log = try await fixture.git("log", "--reverse", "--format=%H", "\(base ?? root)..HEAD")
        var commits: [[String]] = []
        for sha in log.split(separator: "\n") {
            let files = try await fixture.git("show", "--name-only", "--format=", String(sha))
            commits.append(files.split(separator: "\n").map(String.init).sorted())
        }
        return commits
    }

    /// Content of `path` in the HEAD commit.
    fileprivate func selectionCommitted(_ path: String) async throws -> String {
        try await fixture.git("show", "HEAD:" + path)
    }
}

/// The selection flags of `stomper fix`, judged by what gets committed.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct SelectionEndToEndTests {
    /// `src/**/*.py` selects files at any depth under src (none included) and nothing else, not
    /// even a sibling folder whose name starts with `src`.
    @Test func patternWithDoubleStarCommitsOnlyMatchingFiles() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/top.py": SelectionSamples.unusedImport("top"),
                    "src/pkg/deep/inner.py": SelectionSamples.unusedImport("inner"),
                    "srcx/other.py": SelectionSamples.unusedImport("other"),
                    "tests/test_it.py": SelectionSamples.unusedImport("test_it"),
                ])
            let result = try await repo.stomper("fix", "--pattern", "src/**/*.py")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let commits = try await repo.selectionFixCommits()
            #expect(commits.count == 2)
            #expect(Set(commits.flatMap { $0 }) == ["src/pkg/deep/inner.py", "src/top.py"])
            #expect(commits.allSatisfy { $0.count == 1 })
            #expect(try await repo.selectionCommitted("srcx/other.py") == SelectionSamples.unusedImport("other"))
            #expect(try await repo.selectionCommitted("tests/test_it.py") == SelectionSamples.unusedImport("test_it"))
            #expect(try await !repo.selectionCommitted("src/pkg/deep/inner.py").contains("import os"))
            #expect(try await repo.status().isEmpty)
        }
    }

    /// `--exclude` (a folder name and a file-name glob, each matching at any depth) leaves those
    /// files out, also when `--pattern` selected them.
    @Test func excludeLeavesMatchingFilesUncommitted() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/keep.py": SelectionSamples.unusedImport("keep"),
                    "src/gen_parser.py": SelectionSamples.unusedImport("gen_parser"),
                    "src/tests/test_keep.py": SelectionSamples.unusedImport("test_keep"),
                    "other.py": SelectionSamples.unusedImport("other"),
                ])
            let result = try await repo.stomper("fix", "--pattern", "src/**", "--exclude", "gen_*.py", "--exclude", "tests")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(try await repo.selectionFixCommits() == [["src/keep.py"]])
            #expect(try repo.fixture.read("src/gen_parser.py") == SelectionSamples.unusedImport("gen_parser"))
            #expect(try repo.fixture.read("src/tests/test_keep.py") == SelectionSamples.unusedImport("test_keep"))
            #expect(try repo.fixture.read("other.py") == SelectionSamples.unusedImport("other"))
        }
    }

    /// `--max-files 2` of four fixable files: exactly two fix commits, for the first two paths in
    /// sorted order (not creation or directory order), one file each.
    @Test func maxFilesCommitsExactlyTheFirstFilesInPathOrder() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/b.py": SelectionSamples.unusedImport("b"),
                    "src/a.py": SelectionSamples.unusedImport("a"),
                    "lib/z.py": SelectionSamples.unusedImport("z"),
                    "src/c.py": SelectionSamples.unusedImport("c"),
                ])
            let result = try await repo.stomper("fix", "--max-files", "2", "--parallel", "2")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let commits = try await repo.selectionFixCommits()
            #expect(commits.count == 2)
            #expect(Set(commits) == [["lib/z.py"], ["src/a.py"]])
            #expect(try repo.fixture.read("src/b.py") == SelectionSamples.unusedImport("b"))
            #expect(try repo.fixture.read("src/c.py") == SelectionSamples.unusedImport("c"))
        }
    }

    /// `--max-errors 3` over files with 1, 1, 2, 1 diagnostics (in path order): a and b (2) are
    /// taken; c would make 4, so the selection stops there and d is left out although it would fit.
    @Test func maxErrorsTakesWholeFilesInPathOrderUntilTheLimit() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "a.py": SelectionSamples.unusedImport("a"),
                    "b.py": SelectionSamples.unusedImport("b"),
                    "c.py": SelectionSamples.twoUnusedImports("c"),
                    "d.py": SelectionSamples.unusedImport("d"),
                ])
            let result = try await repo.stomper("fix", "--max-errors", "3")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let commits = try await repo.selectionFixCommits()
            #expect(Set(commits) == [["a.py"], ["b.py"]])
            #expect(commits.count == 2)
            #expect(try repo.fixture.read("c.py") == SelectionSamples.twoUnusedImports("c"))
            #expect(try repo.fixture.read("d.py") == SelectionSamples.unusedImport("d"))
        }
    }

    /// `--error-type F401` on a file that also has an unfixable E741: the F401 fix lands, the
    /// E741 that was there before is neither "remaining" nor "introduced", and stays in the file.
    @Test func errorTypeLandsTheSelectedFixDespiteAnUnselectedUnfixableCode() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "src/mixed.py": SelectionSamples.unusedImportAndAmbiguousName,
                    "src/clean_but_e741.py": "def g(v: int) -> int:\n    l = v\n    return l\n",
                ])
            let result = try await repo.stomper("fix", "--error-type", "F401", "--json")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            let mixed = try #require(outcomes["src/mixed.py"])
            #expect(mixed["status"] as? String == "fixed")
            #expect(mixed["fixed"] as? [String: Int] == ["F401": 1])
            #expect((mixed["introduced"] as? [Any])?.isEmpty == true)
            #expect((mixed["remaining"] as? [Any])?.isEmpty == true)
            // A file with only unselected codes is not worked on at all.
            #expect(outcomes["src/clean_but_e741.py"] == nil)
            #expect(try await repo.selectionFixCommits() == [["src/mixed.py"]])
            let committed = try await repo.selectionCommitted("src/mixed.py")
            #expect(!committed.contains("import os"))
            #expect(committed.contains("    l = v\n"))
        }
    }

    /// `--ignore F`: a file with only F codes gets no commit; a file with other codes is fixed.
    @Test func ignoreLeavesFilesWithOnlyIgnoredCodesUncommitted() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "f_only.py": SelectionSamples.twoUnusedImports("f_only"),
                    "up_only.py": SelectionSamples.oldTypingOnly,
                ])
            let result = try await repo.stomper("fix", "--ignore", "F")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(try await repo.selectionFixCommits() == [["up_only.py"]])
            #expect(try await repo.selectionCommitted("up_only.py").contains("v: list[int]"))
            #expect(try repo.fixture.read("f_only.py") == SelectionSamples.twoUnusedImports("f_only"))
            #expect(try await repo.status().isEmpty)
        }
    }

    /// The codes a run leaves out must not be changed by its commits: with `--error-type F401`,
    /// a file's fix commit removes the unused import and leaves the (fixable, unselected) UP006
    /// and UP035 alone, as the commit message ("fix 1 diagnostic (F401)") says.
    @Test func errorTypeKeepsTheFixToTheSelectedCodes() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["m.py": SelectionSamples.unusedImportAndOldTyping])
            let result = try await repo.stomper("fix", "--error-type", "F401")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(try await repo.selectionFixCommits() == [["m.py"]])
            let committed = try await repo.selectionCommitted("m.py")
            #expect(!committed.contains("import os"))
            #expect(committed.contains("from typing import List"), "an unselected code was fixed:\n\(committed)")
            #expect(committed.contains("v: List[int]"), "an unselected code was fixed:\n\(committed)")
        }
    }

    /// `--git-diff REV`: only files changed by commits after REV are fixed (a modified one and an
    /// added one); an older file with the same error is left alone.
    @Test func gitDiffFixesOnlyFilesChangedSinceTheRevision() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "old.py": SelectionSamples.unusedImport("old"),
                    "changed.py": SelectionSamples.unusedImport("changed"),
                ])
            try await repo.fixture.git("tag", "base")
            try repo.fixture.write([
                "changed.py": SelectionSamples.unusedImport("changed") + "\n\ndef more() -> int:\n    return 2\n",
                "added.py": SelectionSamples.unusedImport("added"),
            ])
            try await repo.fixture.commitAll("work after base")
            let afterWork = try await repo.fixture.head()
            let result = try await repo.stomper("fix", "--git-diff", "base")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let commits = try await repo.selectionFixCommits(since: afterWork)
            #expect(commits.count == 2)
            #expect(Set(commits) == [["added.py"], ["changed.py"]])
            #expect(try repo.fixture.read("old.py") == SelectionSamples.unusedImport("old"))
            #expect(try await repo.status().isEmpty)
        }
    }

    /// `--git-diff` with a revision that does not exist: exit 2, a message naming it, no commit.
    @Test func gitDiffWithABadRevisionIsExitTwoNamingIt() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["a.py": SelectionSamples.unusedImport("a")])
            let result = try await repo.stomper("fix", "--git-diff", "no-such-rev-42")
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("no-such-rev-42"), "\(result.stderrText)")
            #expect(try await repo.commitCount() == 1)
            #expect(try repo.fixture.read("a.py") == SelectionSamples.unusedImport("a"))
        }
    }

    /// `--git-changed` selects the modified, the staged and the untracked file — and skips each
    /// (uncommitted changes / not tracked): the user's work is untouched and nothing is committed.
    /// A clean file with the same error is not selected at all.
    @Test func gitChangedSelectsUncommittedFilesButTouchesNothing() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "modified.py": SelectionSamples.unusedImport("modified"),
                    "staged.py": SelectionSamples.unusedImport("staged"),
                    "clean.py": SelectionSamples.unusedImport("clean"),
                ])
            let modified = SelectionSamples.unusedImport("modified") + "# my work\n"
            let staged = SelectionSamples.unusedImport("staged") + "# staged work\n"
            try repo.fixture.write(["modified.py": modified, "staged.py": staged, "new.py": SelectionSamples.unusedImport("new")])
            try await repo.fixture.git("add", "staged.py")
            let statusBefore = try await repo.status()
            let indexBefore = try await repo.fixture.git("diff", "--cached")

            let result = try await repo.stomper("fix", "--git-changed", "--json")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            #expect(Set(outcomes.keys) == ["modified.py", "staged.py", "new.py"])
            #expect(outcomes.values.allSatisfy { $0["status"] as? String == "skipped" })
            #expect(outcomes["modified.py"]?["reason"] as? String == "uncommitted changes")
            #expect(outcomes["staged.py"]?["reason"] as? String == "uncommitted changes")
            #expect((outcomes["new.py"]?["reason"] as? String)?.contains("not tracked by git") == true)
            #expect(try await repo.commitCount() == 1)
            #expect(try await repo.status() == statusBefore)
            #expect(try await repo.fixture.git("diff", "--cached") == indexBefore)
            #expect(try repo.fixture.read("modified.py") == modified)
            #expect(try repo.fixture.read("staged.py") == staged)
            #expect(try repo.fixture.read("clean.py") == SelectionSamples.unusedImport("clean"))
        }
    }

    /// `--git-staged` selects only the staged file (skipped, untouched): not the modified or
    /// untracked one, not the clean one; nothing is committed.
    @Test func gitStagedSelectsOnlyTheStagedFileAndTouchesNothing() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "modified.py": SelectionSamples.unusedImport("modified"),
                    "staged.py": SelectionSamples.unusedImport("staged"),
                    "clean.py": SelectionSamples.unusedImport("clean"),
                ])
            let staged = SelectionSamples.unusedImport("staged") + "# staged work\n"
            try repo.fixture.write([
                "modified.py": SelectionSamples.unusedImport("modified") + "# my work\n", "staged.py": staged,
                "new.py": SelectionSamples.unusedImport("new"),
            ])
            try await repo.fixture.git("add", "staged.py")
            let statusBefore = try await repo.status()

            let result = try await repo.stomper("fix", "--git-staged", "--json")
            #expect(result.exitCode == 1, "\(result.stderrText)")
            let outcomes = try repo.outcomes(try repo.report(result))
            #expect(Set(outcomes.keys) == ["staged.py"])
            #expect(outcomes["staged.py"]?["status"] as? String == "skipped")
            #expect(outcomes["staged.py"]?["reason"] as? String == "uncommitted changes")
            #expect(try await repo.commitCount() == 1)
            #expect(try await repo.status() == statusBefore)
            #expect(try repo.fixture.read("staged.py") == staged)
            #expect(try await repo.fixture.git("show", ":staged.py") == staged)
        }
    }
}
