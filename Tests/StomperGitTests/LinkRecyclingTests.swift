import Foundation
import StomperGit
import StomperTestSupport
import Testing

/// A folder outside every repository an agent may aim its links at, and a fingerprint of it:
/// every entry's path, kind, mode and bytes. Equal fingerprints mean nothing there changed.
struct DecoyTree {
    let root: String

    static func create(at root: String) throws -> DecoyTree {
        try FileManager.default.createDirectory(atPath: root + "/dir/sub", withIntermediateDirectories: true)
        try Data("decoy file\n".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        try Data("decoy in a folder\n".utf8).write(to: URL(fileURLWithPath: root + "/dir/a.py"))
        try Data("deeper\n".utf8).write(to: URL(fileURLWithPath: root + "/dir/sub/b.txt"))
        try Data("x outside\n".utf8).write(to: URL(fileURLWithPath: root + "/x"))
        return DecoyTree(root: root)
    }

    func fingerprint() throws -> [String] {
        var lines: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let entry = enumerator?.nextObject() as? String {
            var info = stat()
            guard lstat(root + "/" + entry, &info) == 0 else { continue }
            var line = "\(entry) \(String(info.st_mode, radix: 8))"
            if info.st_mode & S_IFMT == S_IFREG {
                line += " " + (try Data(contentsOf: URL(fileURLWithPath: root + "/" + entry))).base64EncodedString()
            }
            lines.append(line)
        }
        return lines.sorted()
    }
}

@Suite(.tags(.unit)) struct LinkRecyclingTests {
    /// An agent replaces its files by links — to a file outside (`edit.txt`), a folder outside
    /// (`pkg`), `../../x`, the main repository's `.git/config` — and a file by a hard link to an
    /// outside file. Recycling removes the links and restores every file from git objects;
    /// nothing outside the worktree changes, byte for byte, and the next job gets a clean
    /// worktree. With and without the watcher, at the same base and at a new one (checkout).
    @Test(arguments: [(true, false), (false, false), (true, true), (false, true)])
    func recyclingRemovesLinksAndNeverWritesThroughThem(watchChanges: Bool, newBase: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let decoy = try DecoyTree.create(at: dir + "/outside")
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "edit.txt": "original\n", "pkg/a.py": "a = 1\n", "pkg/sub/b.txt": "b\n", "up.txt": "up\n",
                    "config.txt": "cfg\n", "hard.txt": "hard\n",
                ])
            let configBefore = try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/.git/config"))
            let before = try decoy.fingerprint()
            let repository = try GitRepository.discover(from: fixture.root)
            let first = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1, watchChanges: watchChanges)
            try await pool.withWorktree(at: first) { worktree in
                let root = worktree.path
                let manager = FileManager.default
                try manager.removeItem(atPath: root + "/edit.txt")
                try manager.createSymbolicLink(atPath: root + "/edit.txt", withDestinationPath: decoy.root + "/file")
                try manager.removeItem(atPath: root + "/pkg")
                try manager.createSymbolicLink(atPath: root + "/pkg", withDestinationPath: decoy.root + "/dir")
                try manager.removeItem(atPath: root + "/up.txt")
                try manager.createSymbolicLink(atPath: root + "/up.txt", withDestinationPath: "../../../../outside/x")
                try manager.removeItem(atPath: root + "/config.txt")
                try manager.createSymbolicLink(atPath: root + "/config.txt", withDestinationPath: fixture.root + "/.git/config")
                try manager.removeItem(atPath: root + "/hard.txt")
                try manager.linkItem(atPath: decoy.root + "/x", toPath: root + "/hard.txt")
                // A new link into a folder outside, under a new name.
                try manager.createSymbolicLink(atPath: root + "/newlink", withDestinationPath: decoy.root + "/dir")
            }
            // The decoy's hard link count changed while hard.txt linked to it; the fingerprint
            // holds modes and bytes, which must not change.
            var base = first
            if newBase {
                try fixture.write([
                    "edit.txt": "second\n", "pkg/a.py": "a = 2\n", "up.txt": "up 2\n", "config.txt": "cfg 2\n",
                    "hard.txt": "hard 2\n",
                ])
                try await fixture.commitAll("second")
                base = ObjectID(hex: try await fixture.head())!
            }
            try await pool.withWorktree(at: base) { worktree in
                let root = worktree.path
                let expected =
                    newBase
                    ? ["edit.txt": "second\n", "pkg/a.py": "a = 2\n", "up.txt": "up 2\n", "config.txt": "cfg 2\n", "hard.txt": "hard 2\n"]
                    : ["edit.txt": "original\n", "pkg/a.py": "a = 1\n", "up.txt": "up\n", "config.txt": "cfg\n", "hard.txt": "hard\n"]
                for (path, content) in expected {
                    var info = stat()
                    #expect(
                        lstat(root + "/" + path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && info.st_nlink == 1,
                        "\(path) is not a regular file of its own")
                    #expect(try String(contentsOfFile: root + "/" + path, encoding: .utf8) == content)
                }
                #expect(try String(contentsOfFile: root + "/pkg/sub/b.txt", encoding: .utf8) == "b\n")
                var info = stat()
                #expect(lstat(root + "/newlink", &info) != 0)
                let status = try await GitFixture(root: root).git("status", "--porcelain", "--ignored", "--untracked-files=all")
                #expect(status.isEmpty, "\(status)")
            }
            await pool.close()
            #expect(try decoy.fingerprint() == before)
            #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/.git/config")) == configBefore)
        }
    }

    /// A cached fix re-applied to a worktree whose file an agent left as a link (and a folder on
    /// the way as a link) replaces the links; it does not write through them.
    @Test func applyingAPatchReplacesLinksInsteadOfFollowingThem() async throws {
        try await withTemporaryDirectory { dir in
            let decoy = try DecoyTree.create(at: dir + "/outside")
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n", "pkg/b.txt": "b\n"])
            let before = try decoy.fingerprint()
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1, watchChanges: false)
            try await pool.withWorktree(at: base) { worktree in
                let root = worktree.path
                try Data("a fixed\n".utf8).write(to: URL(fileURLWithPath: root + "/a.txt"))
                try Data("b fixed\n".utf8).write(to: URL(fileURLWithPath: root + "/pkg/b.txt"))
                let patch = try worktree.changes()
                try worktree.discardChanges()
                try FileManager.default.removeItem(atPath: root + "/a.txt")
                try FileManager.default.createSymbolicLink(atPath: root + "/a.txt", withDestinationPath: decoy.root + "/file")
                try FileManager.default.removeItem(atPath: root + "/pkg")
                try FileManager.default.createSymbolicLink(atPath: root + "/pkg", withDestinationPath: decoy.root + "/dir")
                try? worktree.apply(Patch(base: base, changes: patch.changes))
                #expect(try decoy.fingerprint() == before)
            }
            await pool.close()
            #expect(try decoy.fingerprint() == before)
        }
    }
}
