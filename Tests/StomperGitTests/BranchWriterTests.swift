import Foundation
import StomperGit
import StomperTestSupport
import Testing

@Suite struct BranchWriterTests {
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
            let commit = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "a = 2\n", "run.sh": "echo hi\n"]),
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
            _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["old.py": nil, "pkg/new.py": "y\n"]),
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
                _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "a = 2\n"]),
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
                _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["new.py": "theirs\n"]),
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
            let writer = BranchWriter(repository: repository, branch: "main")
            await #expect {
                _ = try await writer.land(try patch(fixture, repository, base: base, edits: ["a.py": "fixed\n"]), message: "fix", author: nil)
            } throws: { ($0 as? GitError)?.code == .indexLocked }
            #expect(try fixture.read("a.py") == "a\n")
            #expect(try await fixture.head() == base.hex)
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
}
