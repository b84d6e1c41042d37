import Foundation
@testable import StomperGit
import StomperTestSupport
import Testing

/// stomper's own files in the common git directory (`.git/stomper/landing.lock`, leftovers of
/// pool worktrees) are never written or removed through a link planted there: an outside decoy
/// keeps its bytes.
@Suite(.tags(.unit)) struct GitDirectoryLinkTests {
    func landing(_ fixture: GitFixture, _ repository: GitRepository) async throws -> ObjectID {
        let base = ObjectID(hex: try await fixture.head())!
        let old = try repository.entry(at: "a.py", in: base)
        let patch = Patch(base: base, changes: [PathChange(path: "a.py", old: old, new: try PathChange.Content(bytes: Array("b\n".utf8)))])
        return try await BranchWriter(repository: repository, branch: "main").land(patch, message: "fix", author: nil)
    }

    func contents(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// `landing.lock -> decoy`: the link is replaced by a lock file of stomper's own; the decoy
    /// is neither written (the holder's pid) nor truncated.
    @Test func aLinkInPlaceOfTheLandingLockIsReplacedNotWrittenThrough() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let decoy = dir + "/decoy"
            try Data("decoy\n".utf8).write(to: URL(fileURLWithPath: decoy))
            try FileManager.default.createDirectory(atPath: fixture.root + "/.git/stomper", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: fixture.root + "/.git/stomper/landing.lock", withDestinationPath: decoy)
            let commit = try await landing(fixture, repository)
            #expect(try await fixture.head() == commit.hex)
            #expect(try contents(decoy) == Data("decoy\n".utf8))
            let kind = try FileManager.default.attributesOfItem(atPath: fixture.root + "/.git/stomper/landing.lock")[.type]
            #expect(kind as? FileAttributeType == .typeRegular)
        }
    }

    /// `.git/stomper -> outside`: the landing is refused, naming the folder; the outside lock
    /// file is untouched and nothing lands.
    @Test func aLinkInPlaceOfStompersFolderIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = try await fixture.head()
            let outside = dir + "/outside"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data("decoy\n".utf8).write(to: URL(fileURLWithPath: outside + "/landing.lock"))
            try FileManager.default.createSymbolicLink(atPath: fixture.root + "/.git/stomper", withDestinationPath: outside)
            await #expect {
                _ = try await landing(fixture, repository)
            } throws: { error in
                guard let error = error as? GitError else { return false }
                return error.code == .invalidPath && error.message.contains("symbolic link")
            }
            #expect(try contents(outside + "/landing.lock") == Data("decoy\n".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["landing.lock"])
            #expect(try await fixture.head() == base)
            #expect(try fixture.read("a.py") == "a\n")
        }
    }

    /// A link planted in place of `.git/worktrees` or `.git/stomper/worktrees`: removing a pool
    /// worktree's leftovers deletes nothing behind it.
    @Test(arguments: ["worktrees", "stomper/worktrees"])
    func removingLeftoversDoesNotFollowALinkedFolder(folder: String) async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let name = "stomper-wt-1-abc-0"
            let outside = dir + "/outside"
            try FileManager.default.createDirectory(atPath: outside + "/" + name, withIntermediateDirectories: true)
            try Data("decoy\n".utf8).write(to: URL(fileURLWithPath: outside + "/" + name + "/decoy.txt"))
            try Data("decoy\n".utf8).write(to: URL(fileURLWithPath: outside + "/" + name + ".lock"))
            let linked = fixture.root + "/.git/" + folder
            try FileManager.default.createDirectory(
                atPath: (linked as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: linked)
            try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: outside)
            WorktreeSlots.removeLeftovers(repository: repository, name: name)
            #expect(try contents(outside + "/" + name + "/decoy.txt") == Data("decoy\n".utf8))
            #expect(try contents(outside + "/" + name + ".lock") == Data("decoy\n".utf8))
        }
    }
}
