import Foundation
import Synchronization
@testable import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct BranchWriterTests {
    func patch(_ fixture: GitFixture, _ repository: GitRepository, base: ObjectID, edits: [String: String?]) throws -> Patch {
        var changes: [PathChange] = []
        for (path, content) in edits {
            let old = try repository.entry(at: path, in: base)
            let new = content.map { text -> PathChange.Content in
                let bytes = Array(text.utf8)
                return PathChange.Content(bytes: bytes, mode: old?.mode ?? .regular, id: try! blobID(bytes))
            }
            changes.append(PathChange(path: path, old: old, new: new))
        }
        return Patch(base: base, changes: changes)
    }

    /// The blob id of `bytes`, from git itself (an independent check of ours).
    func blobID(_ bytes: [UInt8]) throws -> ObjectID {
        let file = NSTemporaryDirectory() + "/blob-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "hash-object", file]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return ObjectID(hex: text.trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    @Test func landsOneCommitTouchingOnlyThePatchPaths() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a = 1\n", "b.py": "b = 1\n", "run.sh": "echo\n"])
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.root + "/run.sh")
            try await fixture.commitAll("exec")
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let writer = BranchWriter(repository: repository, branch: "main")
            let commit = try await writer.land(
                try patch(fixture, repository, base: base, edits: ["a.py": "a = 2\n", "run.sh": "echo hi\n"]),
                message: "fix a\n\nStomper-Run: r\n", author: nil)
            #expect(try await fixture.head() == commit.hex)
            #expect(try await fixture.git("rev-parse", "HEAD~1").trimmingCharacters(in: .whitespacesAndNewlines) == base.hex)
            let touched = try await fixture.git("show", "--name-only", "--format=", "HEAD")
            #expect(touched.split(separator: "\n").sorted() == ["a.py", "run.sh"])
            #expect(try fixture.read("a.py") == "a = 2\n")
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
            // The executable bit survives in the tree and on disk.
            let mode = try await fixture.git("ls-tree", "HEAD", "run.sh")
            #expect(mode.hasPrefix("100755"))
            #expect(FileManager.default.isExecutableFile(atPath: fixture.root + "/run.sh"))
            // Author from git config.
            #expect(try await fixture.git("log", "-1", "--format=%an <%ae>").hasPrefix("Fixture Author <fixture@example.com>"))
            #expect(try await fixture.git("fsck", "--no-progress").isEmpty)
        }
    }

    @Test func landsAdditionsAndDeletions() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["old.py": "x\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let writer = BranchWriter(repository: repository, branch: "main")
            _ = try await writer.land(
                try patch(fixture, repository, base: base, edits: ["old.py": nil, "pkg/new.py": "y\n"]),
                message: "move", author: Signature(name: "Bot", email: "bot@example.com"))
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/old.py"))
            #expect(try fixture.read("pkg/new.py") == "y\n")
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
            #expect(try await fixture.git("log", "-1", "--format=%an").hasPrefix("Bot"))
        }
    }

    @Test func refusesAPathWithUncommittedChangesAndKeepsThem() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a = 1\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            try fixture.write(["a.py": "my work in progress\n"])
            let writer = BranchWriter(repository: repository, branch: "main")
            await #expect {
                _ = try await writer.land(
                    try patch(fixture, repository, base: base, edits: ["a.py": "a = 2\n"]),
                    message: "fix", author: nil)
            } throws: { ($0 as? GitError)?.code == .uncommittedChanges }
            #expect(try fixture.read("a.py") == "my work in progress\n")
            #expect(try await fixture.head() == base.hex)
        }
    }

    @Test func refusesToOverwriteAnUntrackedFileInTheWay() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a = 1\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            try fixture.write(["new.py": "mine\n"])
            let writer = BranchWriter(repository: repository, branch: "main")
            await #expect(throws: GitError.self) {
                _ = try await writer.land(
                    try patch(fixture, repository, base: base, edits: ["new.py": "theirs\n"]),
                    message: "add", author: nil)
            }
            #expect(try fixture.read("new.py") == "mine\n")
        }
    }

    /// Landing builds on the current tip: other files committed since the job's base stay.
    @Test func landsOnTopOfCommitsMadeSinceTheBase() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n", "b.py": "b\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            try fixture.write(["b.py": "b by someone else\n"])
            try await fixture.commitAll("other work")
            let writer = BranchWriter(repository: repository, branch: "main")
            _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "a fixed\n"]), message: "fix", author: nil)
            #expect(try await fixture.git("show", "HEAD:b.py") == "b by someone else\n")
            #expect(try await fixture.git("show", "HEAD:a.py") == "a fixed\n")
        }
    }

    @Test func refusesWhenTheFileChangedOnTheBranchSinceTheBase() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            try fixture.write(["a.py": "a changed upstream\n"])
            try await fixture.commitAll("upstream")
            let tip = try await fixture.head()
            let writer = BranchWriter(repository: repository, branch: "main")
            await #expect {
                _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "a fixed\n"]), message: "fix", author: nil)
            } throws: { ($0 as? GitError)?.code == .baseChanged }
            #expect(try await fixture.head() == tip)
            #expect(try fixture.read("a.py") == "a changed upstream\n")
        }
    }

    @Test func aLockedIndexStopsTheLandingBeforeAnythingIsWritten() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            _ = FileManager.default.createFile(atPath: fixture.root + "/.git/index.lock", contents: Data())
            let writer = BranchWriter(repository: repository, branch: "main", beforeBranchMove: nil, lockWait: .milliseconds(300))
            await #expect {
                _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "fixed\n"]), message: "fix", author: nil)
            } throws: { ($0 as? GitError)?.code == .indexLocked }
            #expect(try fixture.read("a.py") == "a\n")
            #expect(try await fixture.head() == base.hex)
        }
    }

    /// The user's git holds `index.lock` while a landing starts (as `git status` or `git add`
    /// would): the landing waits for it and lands once the lock is let go. The lock is taken the
    /// way git takes it (O_CREAT|O_EXCL) and let go by the test once the writer says it waits —
    /// no blocking reads on the test's side, so a loaded machine cannot starve the handshake.
    @Test(.timeLimit(.minutes(4))) func aLandingWaitsForAnotherGitProcessToLetGoOfTheIndex() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let lock = fixture.root + "/.git/index.lock"
            let descriptor = open(lock, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            #expect(descriptor >= 0)
            close(descriptor)

            let (waiting, waiter) = AsyncStream.makeStream(of: String.self)
            let writer = BranchWriter(
                repository: repository, branch: "main", beforeBranchMove: nil,
                // Generous: on a loaded machine (the whole suite on 2 cores) the test's
                // own task may be scheduled late; the writer must still be waiting.
                onLockWait: { waiter.yield($0) }, lockWait: .seconds(180))
            let edits = try patch(fixture, repository, base: base, edits: ["a.py": "fixed\n"])
            async let landed = writer.land(edits, message: "fix", author: nil)
            var iterator = waiting.makeAsyncIterator()
            #expect(await iterator.next() == lock)
            // The landing is waiting: nothing written yet. Let the lock go.
            #expect(try fixture.read("a.py") == "a\n")
            #expect(unlink(lock) == 0)
            let commit = try await landed
            #expect(try await fixture.head() == commit.hex)
            #expect(try fixture.read("a.py") == "fixed\n")
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
        }
    }

    /// A lock on the branch ref taken by another git process: refused before anything is written.
    @Test func aLockedBranchStopsTheLandingBeforeAnythingIsWritten() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            _ = FileManager.default.createFile(atPath: fixture.root + "/.git/refs/heads/main.lock", contents: Data())
            let writer = BranchWriter(repository: repository, branch: "main", beforeBranchMove: nil, lockWait: .milliseconds(300))
            await #expect {
                _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "fixed\n"]), message: "fix", author: nil)
            } throws: { error in
                guard let error = error as? GitError else { return false }
                return error.code == .indexLocked && error.message.contains(".git/refs/heads/main.lock")
            }
            #expect(try fixture.read("a.py") == "a\n")
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
            #expect(try await fixture.head() == base.hex)
        }
    }

    /// The branch cannot be moved after the checkout was written (a git process took the ref's
    /// lock in between): the checkout is put back, so it never runs ahead of the branch.
    @Test func aBranchMoveThatFailsPutsTheCheckoutBack() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let lock = fixture.root + "/.git/refs/heads/main.lock"
            let writer = BranchWriter(
                repository: repository, branch: "main",
                beforeBranchMove: { _ = FileManager.default.createFile(atPath: lock, contents: Data()) },
                lockWait: .milliseconds(300))
            await #expect(throws: GitError.self) {
                _ = try await writer.land(
                    try patch(fixture, repository, base: base, edits: ["a.py": "fixed\n", "new.py": "n\n"]),
                    message: "fix", author: nil)
            }
            #expect(try fixture.read("a.py") == "a\n")
            #expect(!FileManager.default.fileExists(atPath: fixture.root + "/new.py"))
            try FileManager.default.removeItem(atPath: lock)
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
            #expect(try await fixture.head() == base.hex)
        }
    }

    /// Another git process takes the branch ref's lock between the landing's lock check and its
    /// branch move, and lets it go while the landing waits: the move is tried again and lands.
    @Test(.timeLimit(.minutes(3))) func aBranchMoveWaitsForAnotherGitProcessToLetGoOfTheRef() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let lock = fixture.root + "/.git/refs/heads/main.lock"
            let waits = Mutex<[String]>([])
            let writer = BranchWriter(
                repository: repository, branch: "main",
                beforeBranchMove: { _ = FileManager.default.createFile(atPath: lock, contents: Data()) },
                onLockWait: { path in
                    waits.withLock { $0.append(path) }
                    // The other process is done with the ref once the landing waits.
                    unlink(path)
                }, lockWait: .seconds(30))
            let commit = try await writer.land(
                try patch(fixture, repository, base: base, edits: ["a.py": "fixed\n"]),
                message: "fix", author: nil)
            #expect(waits.withLock { $0 } == [lock])
            #expect(try await fixture.head() == commit.hex)
            #expect(try fixture.read("a.py") == "fixed\n")
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
        }
    }

    /// A landing killed inside libgit2's writes leaves `index.lock` and `main.lock` behind, with
    /// its pid still in stomper's landing lock: the next landing removes them and lands. A lock
    /// file older than that dead landing is some other git process's and is left, and reported.
    @Test(.tags(.slow)) func locksLeftByALandingThatDiedAreClearedByTheNext() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "a\n", "b.py": "b\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let git = fixture.root + "/.git"
            try FileManager.default.createDirectory(atPath: git + "/stomper", withIntermediateDirectories: true)
            // An older lock, from before the dead landing began.
            _ = FileManager.default.createFile(atPath: git + "/refs/heads/main.lock", contents: Data())
            var old = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
            #expect(utimes(git + "/refs/heads/main.lock", &old) == 0)
            _ = FileManager.default.createFile(atPath: git + "/stomper/landing.lock", contents: Data("999999\n".utf8))
            _ = FileManager.default.createFile(atPath: git + "/index.lock", contents: Data("half an index".utf8))
            let writer = BranchWriter(repository: repository, branch: "main")
            await #expect {
                _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "fixed\n"]), message: "fix a", author: nil)
            } throws: { ($0 as? GitError)?.message.contains(".git/refs/heads/main.lock") == true }
            #expect(!FileManager.default.fileExists(atPath: git + "/index.lock"))
            #expect(FileManager.default.fileExists(atPath: git + "/refs/heads/main.lock"))
            #expect(try fixture.read("a.py") == "a\n")
            #expect(try await fixture.head() == base.hex)

            // Now the ref lock is the dead landing's own.
            _ = FileManager.default.createFile(atPath: git + "/stomper/landing.lock", contents: Data("999999\n".utf8))
            _ = FileManager.default.createFile(atPath: git + "/refs/heads/main.lock", contents: Data())
            let commit = try await writer.land(
                try patch(fixture, repository, base: base, edits: ["b.py": "fixed\n"]),
                message: "fix b", author: nil)
            #expect(try await fixture.head() == commit.hex)
            #expect(!FileManager.default.fileExists(atPath: git + "/refs/heads/main.lock"))
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
            // A landing that ended normally leaves the landing lock empty: nothing is cleared next time.
            #expect((try FileManager.default.attributesOfItem(atPath: git + "/stomper/landing.lock")[.size] as? Int) == 0)
        }
    }

    /// Many landings at once from parallel tasks: all land, in some order, nothing lost.
    @Test func concurrentLandingsAllArrive() async throws {
        try await withTemporaryDirectory { dir in
            var files: [String: String] = [:]
            for index in 0..<12 { files["f\(index).py"] = "v = 0\n" }
            let fixture = try await GitFixture.create(at: dir + "/repo", files: files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let writer = BranchWriter(repository: repository, branch: "main")
            let patches = try (0..<12).map { try patch(fixture, repository, base: base, edits: ["f\($0).py": "v = \($0)\n"]) }
            try await withThrowingTaskGroup(of: ObjectID.self) { group in
                for patch in patches {
                    group.addTask { try await writer.land(patch, message: "fix \(patch.paths[0])", author: nil) }
                }
                try await group.waitForAll()
            }
            #expect(try await fixture.git("rev-list", "--count", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines) == "13")
            for index in 0..<12 { #expect(try fixture.read("f\(index).py") == "v = \(index)\n") }
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
        }
    }

    /// Patches that arrive while a landing is under way land together: one commit each, chained,
    /// one move of the branch. The ones that cannot land fail alone, each with its own error.
    @Test(.timeLimit(.minutes(2))) func waitingPatchesLandAsOneGroupAndFailAlone() async throws {
        try await withTemporaryDirectory { dir in
            var files: [String: String] = ["dirty.py": "d = 0\n"]
            for index in 0..<6 { files["f\(index).py"] = "v = 0\n" }
            let fixture = try await GitFixture.create(at: dir + "/repo", files: files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let writer = BranchWriter(repository: repository, branch: "main")
            try fixture.write(["dirty.py": "d = 'mine'\n"])
            struct Fenced: Error {}
            // The first landing holds the writer's queue in its fence until the others wait.
            let release = DispatchSemaphore(value: 0)
            let entered = Flag()
            let firstPatch = try patch(fixture, repository, base: base, edits: ["f0.py": "v = 'first'\n"])
            let first = Task {
                try await writer.land(
                    firstPatch, message: "fix f0", author: nil,
                    fence: {
                        entered.set()
                        release.wait()
                    })
            }
            try await waitUntil("the first landing to enter its fence") { entered.isSet }
            let cases: [(path: String, text: String, fence: (@Sendable () throws -> Void)?)] = [
                ("f1.py", "v = 1\n", nil),
                ("f2.py", "v = 2\n", { throw Fenced() }),
                ("f3.py", "v = 3\n", nil),
                ("f0.py", "v = 'stale'\n", nil),
                ("dirty.py", "d = 1\n", nil),
                ("f5.py", "v = 5\n", nil),
            ]
            var tasks: [Task<ObjectID, any Error>] = []
            for item in cases {
                let patch = try patch(fixture, repository, base: base, edits: [item.path: item.text])
                tasks.append(Task { try await writer.land(patch, message: "fix \(item.path)", author: nil, fence: item.fence) })
                try await waitUntil("\(tasks.count) landings waiting on the writer") { writer.waiting >= tasks.count }
            }
            release.signal()
            _ = try await first.value
            var landed: [ObjectID] = []
            for (index, task) in tasks.enumerated() {
                switch (index, await task.result) {
                case (0, .success(let id)), (2, .success(let id)), (5, .success(let id)): landed.append(id)
                case (1, .failure(let error)): #expect(error is Fenced)
                case (3, .failure(let error)): #expect((error as? GitError)?.code == .baseChanged)
                case (4, .failure(let error)): #expect((error as? GitError)?.code == .uncommittedChanges)
                case (let index, let result): Issue.record("landing \(index): unexpected \(result)")
                }
            }
            // f1, f3, f5 in that order, each the parent of the next, each touching only its file.
            let log = try await fixture.git("log", "--format=%H %s", "-4").split(separator: "\n").map(String.init)
            #expect(
                log.map { String($0.prefix(40)) } == landed.reversed().map(\.hex) + [
                    try await fixture.git("rev-parse", "HEAD~3").trimmingCharacters(in: .whitespacesAndNewlines)
                ])
            #expect(log.last?.hasSuffix("fix f0") == true)
            for (offset, path) in ["f5.py", "f3.py", "f1.py"].enumerated() {
                let touched = try await fixture.git("show", "--name-only", "--format=", "HEAD~\(offset)")
                #expect(touched.trimmingCharacters(in: .whitespacesAndNewlines) == path)
            }
            // One move of the branch for the group.
            let reflog = try await fixture.git("reflog", "-1", "--format=%gs", "main")
            #expect(reflog.hasPrefix("stomper: 3 commits, the last: fix f5.py"))
            #expect(try fixture.read("f0.py") == "v = 'first'\n")
            #expect(try fixture.read("f3.py") == "v = 3\n")
            #expect(try fixture.read("dirty.py") == "d = 'mine'\n")
            #expect(try await fixture.git("status", "--porcelain") == " M dirty.py\n")
            #expect(try await fixture.git("fsck", "--no-progress").isEmpty)
        }
    }
}

private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
