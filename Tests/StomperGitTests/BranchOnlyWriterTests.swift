import Foundation
import Synchronization
@testable import StomperGit
import StomperTestSupport
import Testing

/// `BranchWriter` with `LandingTarget.branchOnly` (`stomper fix --branch`): commits go onto a
/// branch ref only; HEAD, the index and the working tree are never written.
@Suite(.tags(.unit)) struct BranchOnlyWriterTests {
    func patch(_ repository: GitRepository, base: ObjectID, edits: [String: String]) throws -> Patch {
        var changes: [PathChange] = []
        for (path, text) in edits.sorted(by: { $0.key < $1.key }) {
            let old = try repository.entry(at: path, in: base)
            let bytes = Array(text.utf8)
            changes.append(PathChange(path: path, old: old, new: try PathChange.Content(bytes: bytes)))
        }
        return Patch(base: base, changes: changes)
    }

    /// Every file of the working tree (and `.git/index`, `.git/HEAD`) with its bytes.
    func snapshot(_ root: String) throws -> [String: Data] {
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

    func git(_ root: String, _ arguments: String...) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", root] + arguments
        try? process.run()
        process.waitUntilExit()
    }

    @Test func createsTheBranchAtTheStartPointAndTouchesNothingElse() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a = 1\n", "b.py": "b = 1\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            // A dirty, detached checkout: an edit of the very file that lands, a staged file, an untracked one.
            try await fixture.git("checkout", "-q", "--detach")
            try fixture.write(["a.py": "a = 'mine'\n", "b.py": "b = 'staged'\n", "new.txt": "x\n"])
            try await fixture.git("add", "b.py")
            let before = try snapshot(fixture.root)
            let status = try await fixture.git("status", "--porcelain=v1")
            let writer = BranchWriter(repository: repository, target: .branchOnly(branch: "stomper/fixes", startPoint: base))
            #expect(try repository.branchTip("stomper/fixes") == nil)
            let commit = try await writer.land(
                try patch(repository, base: base, edits: ["a.py": "a = 2\n"]),
                message: "fix a\n\nStomper-Run: r\n", author: nil)
            #expect(try repository.branchTip("stomper/fixes") == commit)
            #expect(try await fixture.git("rev-parse", "stomper/fixes~1").trimmingCharacters(in: .whitespacesAndNewlines) == base.hex)
            #expect(try await fixture.git("show", "stomper/fixes:a.py") == "a = 2\n")
            #expect(try await fixture.git("show", "--name-only", "--format=", "stomper/fixes") == "a.py\n")
            #expect(try snapshot(fixture.root) == before)
            #expect(try await fixture.git("status", "--porcelain=v1") == status)
            #expect(try await fixture.head() == base.hex)
            #expect(try repository.head() == .detached(commit: base))
            #expect(try await fixture.git("fsck", "--no-progress").isEmpty)
        }
    }

    /// Another writer moved the branch between the tip read and the compare-and-swap: the commit
    /// is rebuilt on the new tip, nothing of the other writer's commit is lost.
    @Test(arguments: [true, false]) func rebuildsWhenTheBranchMovedOrWasCreatedMeanwhile(branchExists: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a = 1\n", "b.py": "b = 1\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            try await fixture.git("checkout", "-q", "-b", "side")
            try fixture.write(["b.py": "b = 'other writer'\n"])
            try await fixture.commitAll("other writer")
            let other = try await fixture.head()
            try await fixture.git("checkout", "-q", "main")
            if branchExists { try await fixture.git("branch", "fixes", base.hex) }
            let before = try snapshot(fixture.root)
            let moves = Mutex(0)
            let root = fixture.root
            let writer = BranchWriter(
                repository: repository, target: .branchOnly(branch: "fixes", startPoint: base),
                beforeBranchMove: {
                    let first = moves.withLock { count -> Bool in
                        count += 1
                        return count == 1
                    }
                    if first { self.git(root, "update-ref", "refs/heads/fixes", other) }
                })
            let commit = try await writer.land(
                try patch(repository, base: base, edits: ["a.py": "a = 2\n"]), message: "fix a",
                author: nil)
            #expect(moves.withLock { $0 } == 2)
            #expect(try repository.branchTip("fixes") == commit)
            #expect(try await fixture.git("rev-parse", "fixes~1").trimmingCharacters(in: .whitespacesAndNewlines) == other)
            #expect(try await fixture.git("show", "fixes:b.py") == "b = 'other writer'\n")
            #expect(try await fixture.git("show", "fixes:a.py") == "a = 2\n")
            #expect(try snapshot(fixture.root) == before)
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
        }
    }

    /// A patch whose file changed on the branch since its base fails alone (`baseChanged`).
    @Test func aStalePatchIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a = 1\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let writer = BranchWriter(repository: repository, target: .branchOnly(branch: "fixes", startPoint: base))
            let first = try await writer.land(try patch(repository, base: base, edits: ["a.py": "a = 2\n"]), message: "one", author: nil)
            await #expect(throws: GitError.self) {
                _ = try await writer.land(try patch(repository, base: base, edits: ["a.py": "a = 3\n"]), message: "two", author: nil)
            }
            #expect(try repository.branchTip("fixes") == first)
        }
    }

    /// Patches waiting while a landing runs land as one group: one commit each, chained, one ref move.
    @Test(.timeLimit(.minutes(2))) func waitingPatchesLandAsOneGroup() async throws {
        try await withTemporaryDirectory { dir in
            var files: [String: String] = [:]
            for index in 0..<4 { files["f\(index).py"] = "v = 0\n" }
            let fixture = try await GitFixture.create(at: dir + "/repo", files: files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            try fixture.write(["f1.py": "v = 'mine'\n"])
            let before = try snapshot(fixture.root)
            let writer = BranchWriter(repository: repository, target: .branchOnly(branch: "fixes", startPoint: base))
            let release = DispatchSemaphore(value: 0)
            let entered = Mutex(false)
            let firstPatch = try patch(repository, base: base, edits: ["f0.py": "v = 'first'\n"])
            let first = Task {
                try await writer.land(
                    firstPatch, message: "fix f0", author: nil,
                    fence: {
                        entered.withLock { $0 = true }
                        release.wait()
                    })
            }
            try await waitUntil("the first landing to enter its fence") { entered.withLock { $0 } }
            var tasks: [Task<ObjectID, any Error>] = []
            for index in 1..<4 {
                let patch = try patch(repository, base: base, edits: ["f\(index).py": "v = \(index)\n"])
                tasks.append(Task { try await writer.land(patch, message: "fix f\(index).py", author: nil) })
                try await waitUntil("\(tasks.count) landings waiting on the writer") { writer.waiting >= tasks.count }
            }
            release.signal()
            _ = try await first.value
            var landed: [ObjectID] = []
            for task in tasks { landed.append(try await task.value) }
            let log = try await fixture.git("log", "--format=%H", "-3", "fixes").split(separator: "\n").map(String.init)
            #expect(log == landed.reversed().map(\.hex))
            let reflog = try await fixture.git("reflog", "-1", "--format=%gs", "fixes")
            #expect(reflog.hasPrefix("stomper: 3 commits, the last: fix f3.py"))
            // The dirty f1.py is irrelevant to a ref-only landing: it lands, and the edit stays.
            #expect(try await fixture.git("show", "fixes:f1.py") == "v = 1\n")
            #expect(try snapshot(fixture.root) == before)
            #expect(try await fixture.git("rev-parse", "--abbrev-ref", "HEAD") == "main\n")
            #expect(try await fixture.head() == base.hex)
        }
    }

    /// History walks in a shallow clone stop at its boundary instead of failing: the contains
    /// check of `fix --branch` and the trailer scan of resume.
    @Test func historyWalksCopeWithAShallowClone() async throws {
        try await withTemporaryDirectory { dir in
            let origin = try await GitFixture.create(at: dir + "/origin", files: ["a.py": "a = 1\n"])
            try origin.write(["a.py": "a = 2\n"])
            try await origin.commitAll("second")
            let old = try await origin.git("rev-parse", "HEAD~1").trimmingCharacters(in: .whitespacesAndNewlines)
            try await origin.git("clone", "-q", "--depth", "1", "file://" + origin.root, dir + "/clone")
            let clone = GitFixture(root: dir + "/clone")
            try await clone.git("config", "user.name", "CI")
            try await clone.git("config", "user.email", "ci@example.com")
            #expect(FileManager.default.fileExists(atPath: clone.root + "/.git/shallow"))
            let repository = try GitRepository.discover(from: clone.root)
            let head = ObjectID(hex: try await clone.head())!
            let writer = BranchWriter(repository: repository, target: .branchOnly(branch: "fixes", startPoint: head))
            let first = try await writer.land(
                try patch(repository, base: head, edits: ["a.py": "a = 3\n"]),
                message: "one\n\nStomper-Key: k1\n", author: nil)
            let second = try await writer.land(
                try patch(repository, base: first, edits: ["a.py": "a = 4\n"]),
                message: "two\n\nStomper-Key: k2\n", author: nil)
            #expect(try repository.contains(head, from: second))
            #expect(try repository.contains(first, from: second))
            #expect(try !repository.contains(second, from: head))
            // The boundary commit's parent is not in the clone, but is named as the parent; the
            // walk goes no further than that, and an unrelated id is simply not found.
            #expect(try repository.contains(ObjectID(hex: old)!, from: second))
            #expect(try !repository.contains(ObjectID(hex: String(repeating: "1", count: 40))!, from: second))
            #expect(try repository.trailerValues("Stomper-Key", from: second, excluding: head) == ["k1": first, "k2": second])
            #expect(try repository.trailerValues("Stomper-Key", from: second, excluding: nil) == ["k1": first, "k2": second])
        }
    }

    /// The branch got checked out (a linked worktree, or the main one) after the run resolved it:
    /// the landing is refused before the ref moves, so that checkout never sees its files reverted.
    @Test func refusesToMoveABranchSomeoneCheckedOutMeanwhile() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a = 1\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            try await fixture.git("branch", "stomper/fixes")
            try await fixture.git("worktree", "add", "-q", dir + "/user", "stomper/fixes")
            let writer = BranchWriter(repository: repository, target: .branchOnly(branch: "stomper/fixes", startPoint: base))
            await #expect {
                _ = try await writer.land(try patch(repository, base: base, edits: ["a.py": "a = 2\n"]), message: "fix a\n", author: nil)
            } throws: { error in
                (error as? GitError)?.code == .detachedHead && "\(error)".contains(dir + "/user")
            }
            #expect(try repository.branchTip("stomper/fixes") == base)
            #expect(try await GitFixture(root: dir + "/user").git("status", "--porcelain").isEmpty)
        }
    }

    @Test func fullRefNamesAndAtAreNotBranchNames() {
        #expect(GitRepository.isValidBranchName("stomper/fixes"))
        for name in ["refs/heads/main", "@", "HEAD", "a..b", "-x"] { #expect(!GitRepository.isValidBranchName(name), "\(name)") }
    }
}
