import Foundation
@testable import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct WorktreePoolTests {
    /// A worktree handed to a second job holds no trace of the first: edits, deletions, new files,
    /// new folders, ignored files and staged changes are all gone, and HEAD is the new base —
    /// whether the pool learns what changed from inotify or by scanning.
    @Test(arguments: [true, false])
    func recycledWorktreeHoldsNoTraceOfThePreviousJob(watchChanges: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    ".gitignore": "*.log\n", "keep.txt": "keep\n", "edit.txt": "original\n", "gone.txt": "present\n",
                ])
            let repository = try GitRepository.discover(from: fixture.root)
            let first = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1, watchChanges: watchChanges)
            let firstPath = try await pool.withWorktree(at: first) { worktree in
                let root = worktree.path
                try Data("edited\n".utf8).write(to: URL(fileURLWithPath: root + "/edit.txt"))
                try FileManager.default.removeItem(atPath: root + "/gone.txt")
                try FileManager.default.createDirectory(atPath: root + "/newdir/deeper", withIntermediateDirectories: true)
                try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/newdir/deeper/file.txt"))
                try Data("junk".utf8).write(to: URL(fileURLWithPath: root + "/junk.log"))
                let patch = try worktree.changes()
                #expect(patch.paths == ["edit.txt", "gone.txt", "newdir/deeper/file.txt"])
                return root
            }
            // A second job stages a change without touching the file: only the index knows.
            try await pool.withWorktree(at: first) { worktree in
                try await GitFixture(root: worktree.path).git("rm", "-q", "--cached", "keep.txt")
            }
            // A new commit on main: the next job starts from it.
            try fixture.write(["keep.txt": "keep v2\n"])
            try await fixture.commitAll("second")
            let second = ObjectID(hex: try await fixture.head())!
            try await pool.withWorktree(at: second) { worktree in
                #expect(worktree.path == firstPath)
                let root = worktree.path
                #expect(try String(contentsOfFile: root + "/edit.txt", encoding: .utf8) == "original\n")
                #expect(try String(contentsOfFile: root + "/gone.txt", encoding: .utf8) == "present\n")
                #expect(try String(contentsOfFile: root + "/keep.txt", encoding: .utf8) == "keep v2\n")
                #expect(!FileManager.default.fileExists(atPath: root + "/newdir"))
                #expect(!FileManager.default.fileExists(atPath: root + "/junk.log"))
                #expect(try worktree.headCommit() == second)
                let status = try await GitFixture(root: root).git("status", "--porcelain", "--ignored", "--untracked-files=all")
                #expect(status.isEmpty)
            }
            await pool.close()
            let list = try await fixture.git("worktree", "list", "--porcelain")
            #expect(list.components(separatedBy: "worktree ").count == 2)
        }
    }

    /// Jobs of one run share a base: recycling then rewrites what the job wrote from the base's
    /// blobs, as a checkout would (end-of-line filter, executable bit, symbolic link, a file the
    /// job replaced with a folder), and leaves the worktree's index alone — its file is not
    /// rewritten, yet git sees a clean worktree.
    @Test func recyclingAtTheSameBaseRestoresFilesWithoutWritingTheIndex() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    ".gitattributes": "*.bat text eol=crlf\n", "run.bat": "echo one\necho two\n",
                    "tool.sh": "#!/bin/sh\necho tool\n", "edit.txt": "original\n", "folder.txt": "a file\n",
                    "pkg/mod.py": "x = 1\n",
                ])
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.root + "/tool.sh")
            try FileManager.default.createSymbolicLink(atPath: fixture.root + "/link", withDestinationPath: "edit.txt")
            try await fixture.commitAll("modes and a link")
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1, watchChanges: true)
            nonisolated(unsafe) var editedInode: Int?
            let (root, index) = try await pool.withWorktree(at: base) { worktree in
                let root = worktree.path
                #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/run.bat")) == Data("echo one\r\necho two\r\n".utf8))
                try Data("edited\n".utf8).write(to: URL(fileURLWithPath: root + "/edit.txt"))
                editedInode = try FileManager.default.attributesOfItem(atPath: root + "/edit.txt")[.systemFileNumber] as? Int
                try Data("echo one\necho changed\n".utf8).write(to: URL(fileURLWithPath: root + "/run.bat"))
                try Data("#!/bin/sh\nexit 1\n".utf8).write(to: URL(fileURLWithPath: root + "/tool.sh"))
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: root + "/tool.sh")
                try FileManager.default.removeItem(atPath: root + "/link")
                try Data("not a link\n".utf8).write(to: URL(fileURLWithPath: root + "/link"))
                try FileManager.default.removeItem(atPath: root + "/folder.txt")
                try FileManager.default.createDirectory(atPath: root + "/folder.txt/inner", withIntermediateDirectories: true)
                try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/folder.txt/inner/file"))
                try Data("y = 2\n".utf8).write(to: URL(fileURLWithPath: root + "/pkg/new.py"))
                let patch = try worktree.changes()
                #expect(patch.paths == ["edit.txt", "folder.txt", "folder.txt/inner/file", "link", "pkg/new.py", "run.bat", "tool.sh"])
                return (root, repository.commonDir + "/worktrees/" + worktree.name + "/index")
            }
            let indexBefore = try FileManager.default.attributesOfItem(atPath: index)
            try await pool.withWorktree(at: base) { (worktree) async throws in
                #expect(worktree.path == root)
                #expect(try String(contentsOfFile: root + "/edit.txt", encoding: .utf8) == "original\n")
                // Rewritten in place: no new inode.
                #expect(try FileManager.default.attributesOfItem(atPath: root + "/edit.txt")[.systemFileNumber] as? Int == editedInode)
                #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/run.bat")) == Data("echo one\r\necho two\r\n".utf8))
                #expect(FileManager.default.isExecutableFile(atPath: root + "/tool.sh"))
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/link") == "edit.txt")
                #expect(try String(contentsOfFile: root + "/folder.txt", encoding: .utf8) == "a file\n")
                #expect(!FileManager.default.fileExists(atPath: root + "/pkg/new.py"))
                #expect(try worktree.changes().isEmpty)
            }
            // The index file was not rewritten (same inode, size and modification time)...
            let indexAfter = try FileManager.default.attributesOfItem(atPath: index)
            #expect(indexAfter[.systemFileNumber] as? Int == indexBefore[.systemFileNumber] as? Int)
            #expect(indexAfter[.modificationDate] as? Date == indexBefore[.modificationDate] as? Date)
            #expect(indexAfter[.size] as? Int == indexBefore[.size] as? Int)
            // ...and git, hashing the rewritten files again, finds nothing to report.
            let status = try await GitFixture(root: root).git("status", "--porcelain", "--untracked-files=all")
            #expect(status.isEmpty)
            await pool.close()
        }
    }

    @Test func worktreesAreDetachedAndLiveOutsideTheWorkingTree() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let head = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 2)
            try await pool.withWorktree(at: head) { worktree in
                #expect(worktree.path.hasPrefix(fixture.root + "/.git/stomper/worktrees/"))
                let symbolic = try? await GitFixture(root: worktree.path).git("symbolic-ref", "-q", "HEAD")
                #expect(symbolic == nil)
                // No branch named after the worktree is left behind.
                let branches = try await fixture.git("branch", "--list")
                #expect(branches.trimmingCharacters(in: .whitespacesAndNewlines) == "* main")
                #expect(try await fixture.git("status", "--porcelain").isEmpty)
            }
            await pool.close()
        }
    }

    /// Jobs that never overlap share one worktree: the pool grows only when jobs are in flight
    /// together, and then to as many as are (here all four bodies wait for each other, so the
    /// pool must hand out four slots or the test would hang).
    @Test(.timeLimit(.minutes(2))) func thePoolGrowsOnlyAsFarAsJobsOverlap() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let head = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 4)
            var paths = Set<String>()
            for _ in 0..<5 {
                paths.insert(try await pool.withWorktree(at: head) { $0.path })
            }
            #expect(paths.count == 1)
            #expect(await pool.worktreesCreated == 1)
            let everyoneInside = Rendezvous(expected: 4)
            let overlapping = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await pool.withWorktree(at: head) { worktree in
                            await everyoneInside.arriveAndWait()
                            return worktree.path
                        }
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(overlapping.count == 4)
            #expect(await pool.worktreesCreated == 4)
            await pool.close()
        }
    }

    /// A worktree created for an older commit than the main checkout's holds that commit's files.
    @Test func aWorktreeCreatedAtAnOlderCommitHoldsThatCommit() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "one\n", "b.txt": "b\n"])
            let first = ObjectID(hex: try await fixture.head())!
            try fixture.write(["a.txt": "two\n", "c.txt": "new\n"])
            try await fixture.git("rm", "-q", "b.txt")
            try await fixture.commitAll("second")
            let repository = try GitRepository.discover(from: fixture.root)
            let pool = WorktreePool(repository: repository, capacity: 1)
            try await pool.withWorktree(at: first) { (worktree: Worktree) async throws in
                #expect(try String(contentsOfFile: worktree.path + "/a.txt", encoding: .utf8) == "one\n")
                #expect(try String(contentsOfFile: worktree.path + "/b.txt", encoding: .utf8) == "b\n")
                #expect(!FileManager.default.fileExists(atPath: worktree.path + "/c.txt"))
                #expect(try worktree.headCommit() == first)
                #expect(try await GitFixture(root: worktree.path).git("status", "--porcelain", "--untracked-files=all").isEmpty)
            }
            await pool.close()
        }
    }

    /// A keeping pool leaves its worktrees (and whatever the last jobs left in them) on disk; the
    /// next keeping pool takes them over instead of checking out, brings them to its own base,
    /// and cannot take those another live pool holds.
    @Test(.timeLimit(.minutes(2))) func keptWorktreesAreTakenOverByTheNextPool() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n", "b.txt": "b\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let first = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 2, keep: true)
            #expect(try await pool.prepare() == .init(removed: [], kept: 0))
            let bothInside = Rendezvous(expected: 2)
            let keptPaths = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await pool.withWorktree(at: first) { worktree in
                            await bothInside.arriveAndWait()
                            try Data("left by a job\n".utf8).write(to: URL(fileURLWithPath: worktree.path + "/a.txt"))
                            try Data("new\n".utf8).write(to: URL(fileURLWithPath: worktree.path + "/untracked.txt"))
                            return worktree.path
                        }
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            await pool.close()
            #expect(keptPaths.count == 2)
            #expect(try await fixture.git("worktree", "list", "--porcelain").components(separatedBy: "worktree ").count == 4)

            try fixture.write(["b.txt": "b v2\n"])
            try await fixture.commitAll("second")
            let second = ObjectID(hex: try await fixture.head())!
            let next = WorktreePool(repository: repository, capacity: 2, keep: true)
            #expect(try await next.prepare() == .init(removed: [], kept: 2))
            // While `next` holds them, nobody else can take them.
            let rival = WorktreePool(repository: repository, capacity: 2, keep: true)
            #expect(try await rival.prepare() == .init(removed: [], kept: 0))
            await rival.close()
            try await next.withWorktree(at: second) { (worktree) async throws in
                #expect(keptPaths.contains(worktree.path))
                #expect(try String(contentsOfFile: worktree.path + "/a.txt", encoding: .utf8) == "a\n")
                #expect(try String(contentsOfFile: worktree.path + "/b.txt", encoding: .utf8) == "b v2\n")
                #expect(!FileManager.default.fileExists(atPath: worktree.path + "/untracked.txt"))
                #expect(try worktree.headCommit() == second)
                #expect(try worktree.changes().isEmpty)
            }
            #expect(await next.worktreesCreated == 0)
            #expect(await next.worktreesTakenOver == 1)
            await next.close()

            // A pool that does not keep removing them is tested across processes, where it is used:
            // FixEndToEndTests.keptWorktreesServeTheNextRun (`--no-keep-worktrees`). In this process
            // a child that another test is spawning may still hold a copy of a lock between its fork
            // and its exec, so removal here could find a worktree still held.
        }
    }

    /// A job cancelled while it waits for a worktree stops waiting with `CancellationError`, and
    /// the worktree it would have had goes to the next job (were it still queued, the next job
    /// would never get one and the test would hit its time limit).
    @Test(.timeLimit(.minutes(2))) func aCancelledWaitLeavesTheQueueAndTheSlotGoesToTheNextJob() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let head = ObjectID(hex: try await fixture.head())!
            // Waiting jobs never grow the pool: they stay queued until a worktree comes back.
            let pool = WorktreePool(repository: repository, capacity: 3, watchChanges: false, keep: false, patience: .seconds(3600))
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            let (entered, entering) = AsyncStream.makeStream(of: String.self)
            let holder = Task {
                try await pool.withWorktree(at: head) { worktree in
                    entering.yield(worktree.path)
                    for await _ in release { break }
                }
            }
            var inside = entered.makeAsyncIterator()
            let heldPath = await inside.next()
            let cancelled = Task {
                try await pool.withWorktree(at: head) { _ in Issue.record("a cancelled job got a worktree") }
            }
            try await waitUntil("the cancelled lease to queue") { await pool.waitingLeases >= 1 }
            let next = Task {
                try await pool.withWorktree(at: head) { $0.path }
            }
            try await waitUntil("the next lease to queue") { await pool.waitingLeases >= 2 }
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            // Left the queue (checked here so that a pool that kept it fails now, not by a hang).
            try #require(await pool.waitingLeases == 1)
            releasing.yield()
            try await holder.value
            #expect(try await next.value == heldPath)
            #expect(await pool.worktreesCreated == 1)
            // Every lease came back: all three may be held again.
            try await pool.withWorktree(at: head) { _ in }
            await pool.close()
        }
    }

    @Test func leasingMoreThanCapacityIsAnError() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let head = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            try await pool.withWorktree(at: head) { _ in
                await #expect(throws: GitError.self) {
                    try await pool.withWorktree(at: head) { _ in }
                }
            }
            await pool.close()
        }
    }

    /// Worktrees of a process that no longer exists are removed; half-created entries too.
    @Test func staleWorktreesOfDeadProcessesAreRemoved() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "a\n"])
            // pid 2^22+1 is above Linux's pid_max default, so no process has it.
            let deadName = "stomper-wt-4194305-abc-0"
            try await fixture.git("worktree", "add", "--lock", "--detach", ".git/stomper/worktrees/\(deadName)")
            try FileManager.default.createDirectory(
                atPath: fixture.root + "/.git/worktrees/stomper-wt-4194305-half-1",
                withIntermediateDirectories: true)
            let liveName = "stomper-wt-\(getpid())-live-0"
            try await fixture.git("worktree", "add", "--detach", ".git/stomper/worktrees/\(liveName)")
            let repository = try GitRepository.discover(from: fixture.root)
            let pool = WorktreePool(repository: repository, capacity: 1)
            let removed = try await pool.prepare().removed
            #expect(removed == [deadName, "stomper-wt-4194305-half-1"].sorted())
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/.git/stomper/worktrees/\(deadName)"))
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/.git/worktrees/stomper-wt-4194305-half-1"))
            #expect(FileManager.default.fileExists(atPath: fixture.root + "/.git/stomper/worktrees/\(liveName)"))
        }
    }

    @Test func changesIncludeNewDeletedBinaryAndModeChanges() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "edit.txt": "one\n", "delete.txt": "bye\n", "script.sh": "#!/bin/sh\n",
                ])
            let repository = try GitRepository.discover(from: fixture.root)
            let head = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            try await pool.withWorktree(at: head) { worktree in
                let root = worktree.path
                try Data("two\n".utf8).write(to: URL(fileURLWithPath: root + "/edit.txt"))
                try FileManager.default.removeItem(atPath: root + "/delete.txt")
                try Data([0, 1, 2, 255]).write(
                    to: URL(
                        fileURLWithPath: root
                            + "/new/blob.bin"
                            .replacingOccurrences(of: "new/", with: "")))
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/script.sh")
                let patch = try worktree.changes()
                let kinds = Dictionary(uniqueKeysWithValues: patch.changes.map { ($0.path, $0.kind) })
                #expect(kinds == ["edit.txt": .modified, "delete.txt": .deleted, "blob.bin": .added, "script.sh": .modeChanged])
                let binary = try #require(patch.changes.first { $0.path == "blob.bin" })
                #expect(binary.isBinary)
                #expect(binary.new?.bytes == [0, 1, 2, 255])
                #expect(patch.changes.first { $0.path == "script.sh" }?.new?.mode == .executable)
                let objectsBefore = try await fixture.git("count-objects")
                let diff = try worktree.unifiedDiff(patch)
                // Built in memory: nothing was added to the object store on disk.
                #expect(try await fixture.git("count-objects") == objectsBefore)
                #expect(diff.contains("+two"))
                #expect(diff.contains("GIT binary patch"))
                #expect(diff.contains("new mode 100755"))
                #expect(diff.contains("deleted file mode 100644"))
                #expect(diff.contains("new file mode 100644"))
                // git itself takes it as the same change: it applies cleanly to the base.
                let file = dir + "/change.diff"
                try diff.write(toFile: file, atomically: true, encoding: .utf8)
                try await fixture.git("apply", "--check", file)
            }
            await pool.close()
        }
    }
}

extension WorktreePoolTests {
    /// The diff is built from trees holding only the patch's paths, with an empty in-memory index:
    /// attributes still come from the worktree's `.gitattributes` (a `-diff` file is binary), nested
    /// paths and a file replaced by a folder come out right, and git applies it to the base to give
    /// exactly the worktree's files.
    @Test func theDiffHonoursAttributesAndRebuildsTheWorktreeOnTheBase() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    ".gitattributes": "*.dat -diff\n", "pkg/deep/a.py": "a = 1\n", "pkg/b.py": "b = 1\n",
                    "table.dat": "plain text\n", "thing": "a file\n", "other/c.py": "c = 1\n",
                ])
            let repository = try GitRepository.discover(from: fixture.root)
            let head = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            let edits: [String: String?] = [
                "pkg/deep/a.py": "a = 2\n", "pkg/new.py": "n = 1\n", "table.dat": "other text\n",
                "thing": nil, "thing/inner.txt": "now a folder\n",
            ]
            try await pool.withWorktree(at: head) { (worktree) async throws in
                try FileManager.default.removeItem(atPath: worktree.path + "/thing")
                for case let (path, text?) in edits {
                    try FileManager.default.createDirectory(
                        atPath: (worktree.path + "/" + path as NSString).deletingLastPathComponent,
                        withIntermediateDirectories: true)
                    try Data(text.utf8).write(to: URL(fileURLWithPath: worktree.path + "/" + path))
                }
                let patch = try worktree.changes()
                #expect(patch.paths == ["pkg/deep/a.py", "pkg/new.py", "table.dat", "thing", "thing/inner.txt"])
                let diff = try worktree.unifiedDiff(patch)
                #expect(diff.contains("diff --git a/table.dat b/table.dat") && diff.contains("GIT binary patch"))
                #expect(!diff.contains("+other text"))
                #expect(diff.contains("+a = 2") && diff.contains("deleted file mode 100644"))
                #expect(!diff.contains("other/c.py") && !diff.contains("pkg/b.py"))
                let file = dir + "/change.diff"
                try diff.write(toFile: file, atomically: true, encoding: .utf8)
                _ = try await fixture.git("clone", "-q", fixture.root, dir + "/check")
                let check = GitFixture(root: dir + "/check")
                _ = try await check.git("apply", "--index", file)
                for case let (path, text?) in edits {
                    #expect(try check.read(path) == text, "\(path)")
                }
                #expect(try check.read("other/c.py") == "c = 1\n")
            }
            await pool.close()
        }
    }
}

/// Lets `expected` tasks wait until all of them have arrived.
private actor Rendezvous {
    let expected: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(expected: Int) { self.expected = expected }

    func arriveAndWait() async {
        arrived += 1
        if arrived == expected {
            for continuation in waiting { continuation.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
