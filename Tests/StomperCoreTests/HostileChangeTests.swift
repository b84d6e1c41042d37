import Foundation
@testable import StomperCore
import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct HostilePatchTests {
    let base = ObjectID(hex: String(repeating: "0", count: 40))!
    let oldID = ObjectID(hex: String(repeating: "2", count: 40))!

    func change(
        _ path: String, old: FileMode? = .regular, oldSize: Int? = 10, mode: FileMode = .regular,
        bytes: [UInt8], oldBytes: [UInt8]? = nil
    ) throws -> PathChange {
        PathChange(
            path: path, old: old.map { TreeEntry(id: oldID, mode: $0) },
            new: try PathChange.Content(bytes: bytes, mode: mode))
    }

    /// The file being fixed turned into a symbolic link is refused, whether the link stays in the
    /// repository or not.
    @Test(arguments: ["other.py", "../../etc/passwd", "/etc/passwd"])
    func theTargetTurnedIntoALinkIsRefused(target: String) throws {
        let scope = PatchScope(target: "src/a.py")
        let patch = Patch(base: base, changes: [try change("src/a.py", mode: .symlink, bytes: Array(target.utf8))])
        #expect(!scope.violations(of: patch).isEmpty)
    }

    /// Any new symbolic link in a patch is refused, even one allowed by path and pointing inside.
    @Test func anyNewLinkIsRefused() throws {
        let scope = PatchScope(target: "src/a.py", extraAllowed: ["src/link"])
        let patch = Patch(
            base: base,
            changes: [
                try change("src/a.py", bytes: Array("x = 1\n".utf8)),
                try change("src/link", old: nil, mode: .symlink, bytes: Array("a.py".utf8)),
            ])
        #expect(!scope.violations(of: patch).isEmpty)
    }

    /// A file that held something and was emptied is refused: its diagnostics vanish, nothing was fixed.
    @Test func anEmptiedFileIsRefused() throws {
        let scope = PatchScope(target: "src/a.py")
        let patch = Patch(base: base, changes: [try change("src/a.py", bytes: [])])
        #expect(!scope.violations(of: patch, oldContents: ["src/a.py": Array("import os\n".utf8)]).isEmpty)
    }

    /// Bytes that are not UTF-8 where the old file was valid UTF-8 are refused; a binary file stays allowed.
    @Test func invalidUTF8InATextFileIsRefused() throws {
        let scope = PatchScope(target: "src/a.py")
        let broken = Array("x = 1\n".utf8) + [0xff, 0xfe, 0x0a]
        let patch = Patch(base: base, changes: [try change("src/a.py", bytes: broken)])
        #expect(!scope.violations(of: patch, oldContents: ["src/a.py": Array("import os\nx = 1\n".utf8)]).isEmpty)
        let binary = Patch(base: base, changes: [try change("src/a.py", bytes: broken)])
        #expect(scope.violations(of: binary, oldContents: ["src/a.py": [0x00, 0xff, 0x01]]).isEmpty)
    }
}

@Suite(.tags(.unit)) struct GitDirectoryGuardTests {
    /// `.git/hooks` replaced by a link to an outside folder: the link is removed, the folder
    /// recreated with its files, and nothing is written in the outside folder.
    @Test func aHooksFolderReplacedByALinkIsRestoredWithoutWritingThroughIt() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            let git = fixture.root + "/.git"
            try Data("#!/bin/sh\nexit 0\n".utf8).write(to: URL(fileURLWithPath: git + "/hooks/pre-commit"))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: git + "/hooks/pre-commit")
            let outside = dir + "/outside-hooks"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data("theirs\n".utf8).write(to: URL(fileURLWithPath: outside + "/post-checkout"))
            let guardian = GitDirectoryGuard(gitDirectory: git)
            let start = Date()
            try FileManager.default.moveItem(atPath: git + "/hooks", toPath: dir + "/moved-hooks")
            try FileManager.default.createSymbolicLink(atPath: git + "/hooks", withDestinationPath: outside)
            let touched = try guardian.check(duringAgentRun: start, Date())
            #expect(touched.contains { $0.hasPrefix("hooks") })
            var info = stat()
            #expect(lstat(git + "/hooks", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
            #expect(try String(contentsOfFile: git + "/hooks/pre-commit", encoding: .utf8) == "#!/bin/sh\nexit 0\n")
            #expect(lstat(git + "/hooks/pre-commit", &info) == 0 && info.st_mode & 0o777 == 0o755)
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["post-checkout"])
        }
    }

    /// `.git/config` replaced by a link to an outside file: the link goes, the config comes back
    /// with its own mode (not 0777), and the outside file is untouched.
    @Test func aConfigReplacedByALinkIsRestoredWithItsMode() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            let git = fixture.root + "/.git"
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: git + "/config")
            let config = try Data(contentsOf: URL(fileURLWithPath: git + "/config"))
            let outside = dir + "/outside-config"
            try Data("[core]\n\thooksPath = /tmp/evil\n".utf8).write(to: URL(fileURLWithPath: outside))
            let guardian = GitDirectoryGuard(gitDirectory: git)
            let start = Date()
            try FileManager.default.removeItem(atPath: git + "/config")
            try FileManager.default.createSymbolicLink(atPath: git + "/config", withDestinationPath: outside)
            #expect(try guardian.check(duringAgentRun: start, Date()) == ["config"])
            var info = stat()
            #expect(lstat(git + "/config", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
            #expect(info.st_mode & 0o7777 == 0o640)
            #expect(try Data(contentsOf: URL(fileURLWithPath: git + "/config")) == config)
            #expect(try String(contentsOfFile: outside, encoding: .utf8) == "[core]\n\thooksPath = /tmp/evil\n")
        }
    }

    /// Detect-only: a change is reported once and never undone (the user's own `git config`).
    @Test func detectOnlyReportsWithoutWriting() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            let git = fixture.root + "/.git"
            let guardian = GitDirectoryGuard(gitDirectory: git, restoring: false)
            let start = Date()
            try await fixture.git("remote", "add", "origin", "https://example.com/x.git")
            let changed = try Data(contentsOf: URL(fileURLWithPath: git + "/config"))
            #expect(try guardian.check(duringAgentRun: start, Date()) == ["config"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: git + "/config")) == changed)
            // Reported once: a later agent run is not blamed for it.
            let later = Date()
            #expect(try guardian.check(duringAgentRun: later, Date()).isEmpty)
        }
    }
}

@Suite(.tags(.unit)) struct WorktreeLinkRestoreTests {
    /// The worktree's `.git` file replaced by a link into the main `.git` (or a folder) is put
    /// back as a file; the link's target is not written.
    @Test(arguments: ["link", "folder", "edit", "none"])
    func theDotGitFileIsRestoredWithoutFollowingALink(change: String) async throws {
        try await withTemporaryDirectory { dir in
            let root = dir + "/wt"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let original = Data("gitdir: /somewhere/.git/worktrees/wt\n".utf8)
            try original.write(to: URL(fileURLWithPath: root + "/.git"))
            let target = dir + "/main-config"
            try Data("[core]\n".utf8).write(to: URL(fileURLWithPath: target))
            switch change {
            case "link":
                try FileManager.default.removeItem(atPath: root + "/.git")
                try FileManager.default.createSymbolicLink(atPath: root + "/.git", withDestinationPath: target)
            case "folder":
                try FileManager.default.removeItem(atPath: root + "/.git")
                try FileManager.default.createDirectory(atPath: root + "/.git/hooks", withIntermediateDirectories: true)
            case "edit":
                try Data("gitdir: /elsewhere\n".utf8).write(to: URL(fileURLWithPath: root + "/.git"))
            default:
                break
            }
            let touched = try restoreWorktreeLink(at: root + "/.git", original: original)
            #expect(touched == (change == "none" ? [] : [".git"]))
            var info = stat()
            #expect(lstat(root + "/.git", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
            #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/.git")) == original)
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "[core]\n")
        }
    }
}
