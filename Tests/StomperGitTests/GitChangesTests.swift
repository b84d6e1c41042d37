import Foundation
import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct GitChangesTests {
    static func lines(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").map(String.init))
    }

    /// Staged: a modified, b deleted, c renamed to c2, n added. Unstaged: d modified, untracked u and new/x.py, ignored z.log.
    static func changedRepository(in dir: String) async throws -> GitFixture {
        let fixture = try await GitFixture.create(
            at: dir + "/repo",
            files: [
                "a.py": "a\n", "b.py": "b\n", "c.py": "c\nc\nc\nc\n", "d.py": "d\n", ".gitignore": "*.log\n",
            ])
        try fixture.write(["a.py": "a2\n", "n.py": "n\n"])
        try await fixture.git("add", "a.py", "n.py")
        try await fixture.git("rm", "-q", "b.py")
        try await fixture.git("mv", "c.py", "c2.py")
        try fixture.write(["d.py": "d2\n", "u.py": "u\n", "new/x.py": "x\n", "z.log": "log\n"])
        return fixture
    }

    @Test func stagedPathsAreWhatTheIndexChangedSinceHead() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await Self.changedRepository(in: dir)
            let staged = try GitRepository.discover(from: fixture.root).stagedPaths()
            #expect(staged == ["a.py", "b.py", "c2.py", "n.py"])
            #expect(staged == Self.lines(try await fixture.git("diff", "--cached", "--name-only", "-M")))
        }
    }

    @Test func changedPathsAddTheWorkingTreeAndUntrackedFiles() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await Self.changedRepository(in: dir)
            let changed = try GitRepository.discover(from: fixture.root).changedPaths()
            #expect(changed == ["a.py", "b.py", "c2.py", "n.py", "d.py", "u.py", "new/x.py"])
            let untracked = Self.lines(try await fixture.git("ls-files", "--others", "--exclude-standard"))
            let modified = Self.lines(try await fixture.git("diff", "--name-only", "-M", "HEAD"))
            #expect(changed == untracked.union(modified))
        }
    }

    @Test func pathsChangedSinceARevisionIncludeCommitsAndTheWorkingTree() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["e.py": "e\n", "g.py": "g\n", "keep.py": "k\n"])
            try await fixture.git("tag", "v1")
            let base = try await fixture.head()
            try fixture.write(["e.py": "e2\n", "f.py": "f\n"])
            try await fixture.git("rm", "-q", "g.py")
            try await fixture.commitAll("second")
            try fixture.write(["w.py": "w\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let expected: Set<String> = ["e.py", "f.py", "g.py", "w.py"]
            #expect(try repository.pathsChanged(since: "v1") == expected)
            #expect(try repository.pathsChanged(since: base) == expected)
            #expect(try repository.pathsChanged(since: "HEAD~1") == expected)
            #expect(try repository.pathsChanged(since: "HEAD") == ["w.py"])
            let committed = Self.lines(try await fixture.git("diff", "--name-only", "v1", "HEAD"))
            #expect(try repository.pathsChanged(since: "v1") == committed.union(["w.py"]))
        }
    }

    @Test func aRevisionThatDoesNotResolveNamesItAndSuggestsAFetch() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            #expect {
                _ = try repository.pathsChanged(since: "origin/no-such-branch")
            } throws: { error in
                guard let error = error as? GitError else { return false }
                return error.code == .objectNotFound && error.message.contains("origin/no-such-branch")
                    && error.message.contains("git fetch")
            }
        }
    }

    @Test func aRepositoryWithoutCommitsStagesEverythingInTheIndex() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo")
            try fixture.write(["a.py": "a\n", "b.py": "b\n"])
            try await fixture.git("add", "a.py")
            let repository = try GitRepository.discover(from: fixture.root)
            #expect(try repository.stagedPaths() == ["a.py"])
            #expect(try repository.changedPaths() == ["a.py", "b.py"])
        }
    }

    @Test func aCleanTreeHasNoChanges() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            #expect(try repository.stagedPaths().isEmpty)
            #expect(try repository.changedPaths().isEmpty)
            #expect(try repository.pathsChanged(since: "main").isEmpty)
        }
    }
}
