import Foundation
@testable import StomperGit
import StomperTestSupport
import Testing

/// Sparse worktrees (`WorktreePool.withWorktree(at:sparse:_:)`): a plain folder with the base's
/// folders and the selected files, read and cleared like a full worktree.
@Suite(.tags(.unit)) struct SparseWorktreeTests {
    static let files: [String: String] = [
        ".gitattributes": "*.bat text eol=crlf\n", ".gitignore": "*.log\n", "run.bat": "echo one\necho two\n",
        "pkg/__init__.py": "", "pkg/mod.py": "x = 1\n", "pkg/other.py": "y = 2\n", "pkg/deep/er/leaf.py": "z = 3\n",
        "top.txt": "top\n",
    ]

    /// The folder holds every folder of the base and, of its files, exactly the selection,
    /// written as a checkout writes them (CRLF where the attributes ask); nothing is checked out.
    @Test func aSparseWorktreeHoldsTheFoldersAndTheSelectedFilesOnly() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 2)
            let selection: Set<String> = ["pkg/mod.py", "run.bat", ".gitattributes"]
            try await pool.withWorktree(at: base, sparse: { _ in selection }) { (worktree) throws in
                let root = worktree.path
                #expect(worktree.sparsePaths == selection)
                #expect(try worktree.headCommit() == base)
                #expect(try Self.files(under: root) == selection)
                #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/run.bat")) == Data("echo one\r\necho two\r\n".utf8))
                for folder in ["pkg", "pkg/deep", "pkg/deep/er"] {
                    var isFolder: ObjCBool = false
                    #expect(FileManager.default.fileExists(atPath: root + "/" + folder, isDirectory: &isFolder) && isFolder.boolValue)
                }
                #expect(try worktree.changes().isEmpty)
            }
            #expect(await pool.sparseWorktreesCreated == 1)
            #expect(await pool.worktreesCreated == 0)
            // A selection of nil asks for the whole tree.
            try await pool.withWorktree(at: base, sparse: { _ in nil }) { (worktree) throws in
                #expect(worktree.sparsePaths == nil)
                #expect(try Self.files(under: worktree.path).contains("top.txt"))
            }
            #expect(await pool.worktreesCreated == 1)
            await pool.close()
        }
    }

    /// The same writes give the same patch in a sparse worktree as in a full one: an edit, a
    /// deletion, a new file, an ignored new file (left out by the selected `.gitignore`), a tracked
    /// file that was not selected written with its own content (no change) and with new content,
    /// a link to a folder outside (the link, not what it points to).
    @Test func aSparseWorktreeGivesTheSamePatchAsAFullOne() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 2)
            let full = try await pool.withWorktree(at: base) { worktree in
                try Self.edit(worktree.path)
                return try worktree.changes()
            }
            let sparse = try await pool.withWorktree(at: base, sparse: { _ in ["pkg/mod.py", "run.bat", ".gitignore", ".gitattributes"] }) {
                worktree in
                try Self.edit(worktree.path)
                return try worktree.changes()
            }
            #expect(full.paths == ["pkg/linked", "pkg/mod.py", "pkg/new.py", "run.bat", "top.txt"])
            #expect(sparse.paths == full.paths)
            #expect(sparse.changes.map(\.new?.id) == full.changes.map(\.new?.id))
            #expect(sparse.changes.map(\.old?.id) == full.changes.map(\.old?.id))
            await pool.close()
        }
    }

    /// The next job in the same folder finds nothing of the last one's: its files, a new folder,
    /// and a link it put in place of a folder are removed — the link, never what it points to —
    /// and the folder is back. `close()` removes the folder, even when keeping worktrees, and a
    /// crashed run's sparse folder is removed by the next pool's `prepare()`.
    @Test func theNextJobFindsNothingOfTheLastAndNothingOutsideIsTouched() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let outside = dir + "/outside"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: outside + "/leaf.py"))
            let pool = WorktreePool(repository: repository, capacity: 1, watchChanges: true, keep: true)
            let first = try await pool.withWorktree(at: base, sparse: { _ in ["pkg/mod.py"] }) { worktree in
                let root = worktree.path
                try Data("junk\n".utf8).write(to: URL(fileURLWithPath: root + "/junk.py"))
                try FileManager.default.createDirectory(atPath: root + "/made/here", withIntermediateDirectories: true)
                try FileManager.default.removeItem(atPath: root + "/pkg/deep/er")
                try FileManager.default.createSymbolicLink(atPath: root + "/pkg/deep/er", withDestinationPath: outside)
                return root
            }
            try await pool.withWorktree(at: base, sparse: { _ in ["pkg/other.py"] }) { (worktree) throws in
                #expect(worktree.path == first)
                #expect(try Self.files(under: worktree.path) == ["pkg/other.py"])
                var info = stat()
                #expect(lstat(worktree.path + "/pkg/deep/er", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
                #expect(!FileManager.default.fileExists(atPath: worktree.path + "/made"))
            }
            #expect(try String(contentsOfFile: outside + "/leaf.py", encoding: .utf8) == "keep me\n")
            await pool.close()
            #expect(!FileManager.default.fileExists(atPath: first))
            // A dead process's sparse folder (no lock held) goes at the next pool's start.
            let stale = WorktreeSlots.directory(of: repository) + "/" + WorktreeSlots.prefix + "999999-abc-s0"
            try FileManager.default.createDirectory(atPath: stale + "/pkg", withIntermediateDirectories: true)
            let next = WorktreePool(repository: repository, capacity: 1)
            let preparation = try await next.prepare()
            #expect(preparation.removed == [WorktreeSlots.prefix + "999999-abc-s0"])
            #expect(!FileManager.default.fileExists(atPath: stale))
            await next.close()
        }
    }

    /// Between two attempts of a job the worktree goes back to its base (`discardChanges`): a
    /// sparse one holds its selection again, as written at first, and nothing else.
    @Test func discardingChangesFillsASparseWorktreeAgain() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            let selection: Set<String> = ["pkg/mod.py", "run.bat", ".gitattributes"]
            try await pool.withWorktree(at: base, sparse: { _ in selection }) { (worktree) throws in
                let root = worktree.path
                try Self.edit(root)
                try FileManager.default.removeItem(atPath: root + "/pkg/deep")
                try Data("file where a folder was\n".utf8).write(to: URL(fileURLWithPath: root + "/pkg/deep"))
                #expect(try !worktree.changes().isEmpty)
                try worktree.discardChanges()
                #expect(try Self.files(under: root) == selection)
                #expect(try worktree.changes().isEmpty)
                #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/run.bat")) == Data("echo one\r\necho two\r\n".utf8))
                var isFolder: ObjCBool = false
                #expect(FileManager.default.fileExists(atPath: root + "/pkg/deep/er", isDirectory: &isFolder) && isFolder.boolValue)
            }
            await pool.close()
        }
    }

    /// The writes of `aSparseWorktreeGivesTheSamePatchAsAFullOne`.
    static func edit(_ root: String) throws {
        try Data("x = 10\n".utf8).write(to: URL(fileURLWithPath: root + "/pkg/mod.py"))
        try FileManager.default.removeItem(atPath: root + "/run.bat")
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: root + "/pkg/new.py"))
        try Data("noise\n".utf8).write(to: URL(fileURLWithPath: root + "/pkg/debug.log"))
        try Data("z = 3\n".utf8).write(to: URL(fileURLWithPath: root + "/pkg/deep/er/leaf.py"))
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: root + "/top.txt"))
        // A link to a folder outside is a change of its own; nothing beyond it is read.
        try FileManager.default.createSymbolicLink(atPath: root + "/pkg/linked", withDestinationPath: "/etc")
    }

    /// Every file and link under `root`, relative.
    static func files(under root: String) throws -> Set<String> {
        Set(try SparseSlots.files(under: root))
    }
}
