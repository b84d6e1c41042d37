import Foundation
import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct GitRepositoryTests {
    @Test func discoversTheRepositoryFromASubdirectory() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["src/pkg/a.py": "x = 1\n"])
            let repository = try GitRepository.discover(from: dir + "/repo/src/pkg")
            #expect(repository.workdir == fixture.root)
            #expect(repository.commonDir == fixture.root + "/.git")
            let head = try repository.head()
            let sha = try await fixture.head()
            #expect(head == .branch(name: "main", commit: ObjectID(hex: sha)!))
        }
    }

    @Test func outsideARepositoryIsANotARepositoryError() async throws {
        try await withTemporaryDirectory { dir in
            #expect {
                _ = try GitRepository.discover(from: dir)
            } throws: { error in
                (error as? GitError)?.code == .notARepository
            }
        }
    }

    @Test func reportsDetachedAndUnbornHeads() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo")
            #expect(try GitRepository.discover(from: fixture.root).head() == .unborn(branch: "main"))
            try fixture.write(["a.txt": "a\n"])
            try await fixture.commitAll("one")
            let sha = try await fixture.head()
            try await fixture.git("checkout", "-q", "--detach")
            #expect(try GitRepository.discover(from: fixture.root).head() == .detached(commit: ObjectID(hex: sha)!))
        }
    }

    @Test func readsTreeEntriesAndBlobs() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a/b.txt": "hello\n", "run.sh": "#!/bin/sh\n"])
            try await fixture.git("update-index", "--chmod=+x", "run.sh")
            try await fixture.git("commit", "-q", "-m", "exec")
            let repository = try GitRepository.discover(from: fixture.root)
            let head = ObjectID(hex: try await fixture.head())!
            let entry = try #require(try repository.entry(at: "a/b.txt", in: head))
            #expect(entry.mode == .regular)
            #expect(String(decoding: try repository.blob(entry.id), as: UTF8.self) == "hello\n")
            #expect(try repository.entry(at: "run.sh", in: head)?.mode == .executable)
            #expect(try repository.entry(at: "missing.txt", in: head) == nil)
        }
    }

    @Test func findsUncommittedPaths() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"])
            try fixture.write(["a.txt": "changed\n", "new.txt": "untracked\n"])
            try fixture.write(["b.txt": "staged\n"])
            try await fixture.git("add", "b.txt")
            let repository = try GitRepository.discover(from: fixture.root)
            #expect(try repository.uncommittedPaths() == ["a.txt", "b.txt"])
            #expect(try repository.hasUncommittedChanges("a.txt"))
            #expect(try !repository.hasUncommittedChanges("c.txt"))
        }
    }
}
