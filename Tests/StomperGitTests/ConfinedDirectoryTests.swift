import Foundation
@testable import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct ConfinedDirectoryTests {
    /// Both ways of reaching a parent folder: `openat2` and the per-component fallback.
    static let walks = [false, true]

    func isRegular(_ path: String, mode: mode_t? = nil) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return mode.map { info.st_mode & 0o7777 == $0 } ?? true
    }

    /// A link as the last component is replaced by the file; a link as a folder on the way is
    /// replaced by a folder (worktrees) or refused (the user's working tree). The outside tree
    /// stays byte for byte as it was.
    @Test(arguments: walks)
    func writesReplaceLinksInsteadOfFollowingThem(perComponent: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let decoy = try DecoyTree.create(at: dir + "/outside")
            let before = try decoy.fingerprint()
            let root = dir + "/root"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: root + "/file", withDestinationPath: decoy.root + "/file")
            try FileManager.default.createSymbolicLink(atPath: root + "/pkg", withDestinationPath: decoy.root + "/dir")
            try FileManager.default.createSymbolicLink(atPath: root + "/up", withDestinationPath: "../outside")

            let refusing = ConfinedDirectory(root: root, obstacles: .refuse, perComponent: perComponent)
            #expect(throws: GitError.self) { try refusing.write(try PathChange.Content(bytes: [0x61]), at: "pkg/a.py") }
            #expect(throws: GitError.self) { try refusing.write(try PathChange.Content(bytes: [0x61]), at: "up/x") }
            try refusing.removeFile("pkg/a.py")
            try refusing.removeFile("up/x")
            #expect(try decoy.fingerprint() == before)

            let directory = ConfinedDirectory(root: root, obstacles: .replace, perComponent: perComponent)
            try directory.write(try PathChange.Content(bytes: Array("mine\n".utf8)), at: "file")
            try directory.write(try PathChange.Content(bytes: Array("a\n".utf8), mode: .executable), at: "pkg/sub/a.py")
            try directory.remove("up/x")
            try directory.rewrite("up", with: Array("u\n".utf8), executable: false)
            #expect(try decoy.fingerprint() == before)
            let umask = {
                let old = Foundation.umask(0); Foundation.umask(old); return old
            }()
            #expect(isRegular(root + "/file", mode: 0o644 & ~umask))
            #expect(isRegular(root + "/pkg/sub/a.py", mode: 0o755 & ~umask))
            #expect(isRegular(root + "/up"))
            try directory.replace("exact", with: [1, 2], permissions: 0o640)
            #expect(isRegular(root + "/exact", mode: 0o640))
        }
    }

    /// `..`, absolute and empty components are refused before anything is opened.
    @Test func pathsLeavingTheRootAreRefused() throws {
        let directory = ConfinedDirectory(root: NSTemporaryDirectory())
        for path in ["../x", "a/../../x", "/etc/passwd", "a//b", ""] {
            #expect(throws: GitError.self) { try directory.remove(path) }
        }
    }

    /// A file with a second hard link (to a file outside) is rewritten as a new file, and
    /// `removeLinks(along:)` takes away links on the way and hard-linked files.
    @Test(arguments: walks)
    func hardLinksAreNeverWrittenInPlace(perComponent: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let decoy = try DecoyTree.create(at: dir + "/outside")
            let before = try decoy.fingerprint()
            let root = dir + "/root"
            try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
            try FileManager.default.linkItem(atPath: decoy.root + "/x", toPath: root + "/hard")
            try FileManager.default.createSymbolicLink(atPath: root + "/real/link", withDestinationPath: decoy.root + "/dir")
            let directory = ConfinedDirectory(root: root, obstacles: .replace, perComponent: perComponent)
            try directory.rewrite("hard", with: Array("new\n".utf8), executable: false)
            #expect(try decoy.fingerprint() == before)
            #expect(try directory.removeLinks(along: "real/link/a.py"))
            #expect(!(try directory.removeLinks(along: "real/link/a.py")))
            var info = stat()
            #expect(lstat(root + "/real/link", &info) != 0)
            try FileManager.default.linkItem(atPath: decoy.root + "/file", toPath: root + "/real/h")
            #expect(try directory.removeLinks(along: "real/h"))
            #expect(try decoy.fingerprint() == before)
        }
    }
}
