import Foundation
import StomperGit
import StomperTestSupport
import Testing

/// End-of-line conversion (issue 14): a landed commit stores what `git add` would store (the
/// clean-filtered content), the main working tree gets what a checkout would write, and after a
/// landing `git status` is clean. Checked with the git CLI against real libgit2 landings.
@Suite(.tags(.unit)) struct LineEndingTests {
    /// How a repository asks for conversion.
    enum Setup: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// `.gitattributes`: `*.py text eol=crlf`.
        case attributes
        /// `core.autocrlf=true`, no attributes.
        case autocrlf
        /// Neither: bytes go in and out unchanged.
        case none

        var testDescription: String { rawValue }
        /// Whether a checkout of an LF blob writes CRLF.
        var converts: Bool { self != .none }
    }

    /// A repository holding `files` (LF in the commit), checked out again so the working tree
    /// holds what a checkout with `setup` writes.
    func repository(
        _ setup: Setup, at root: String, files: [String: [UInt8]], extraAttributes: String = ""
    ) async throws
        -> GitFixture
    {
        let fixture = try await GitFixture.create(at: root)
        switch setup {
        case .attributes: try fixture.write([".gitattributes": "*.py text eol=crlf\n" + extraAttributes])
        case .autocrlf:
            try await fixture.git("config", "core.autocrlf", "true")
            try fixture.write([".gitattributes": "# autocrlf\n" + extraAttributes])
        case .none: try fixture.write([".gitattributes": "# nothing\n" + extraAttributes])
        }
        for (path, bytes) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path))
        }
        try await fixture.commitAll("initial")
        for path in files.keys { try FileManager.default.removeItem(atPath: root + "/" + path) }
        try await fixture.git("checkout", "--", ".")
        return fixture
    }

    func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The blob HEAD holds at `path`, byte for byte.
    func committed(_ fixture: GitFixture, _ path: String) async throws -> [UInt8] {
        Array(try await fixture.git("cat-file", "blob", "HEAD:" + path).utf8)
    }

    func crlf(_ text: String) -> [UInt8] { Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    /// An agent edits a text file in its worktree (keeping the CRLF the checkout wrote, or writing
    /// LF): the commit holds LF, the main working tree what a checkout writes, and nothing is staged.
    @Test(arguments: Setup.allCases, [false, true])
    func aLandedTextFileIsStoredAsGitAddWouldAndCheckedOutAsACheckoutWould(setup: Setup, agentWritesLF: Bool) async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await repository(
                setup, at: dir + "/repo",
                files: ["a.py": Array("a = 1\nb = 2\n".utf8), "other.py": Array("o = 1\n".utf8)])
            #expect(try bytes(fixture.root + "/a.py") == (setup.converts ? crlf("a = 1\nb = 2\n") : Array("a = 1\nb = 2\n".utf8)))
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            let patch = try await pool.withWorktree(at: base) { worktree in
                let checkedOut = try bytes(worktree.path + "/a.py")
                #expect(checkedOut == (setup.converts ? crlf("a = 1\nb = 2\n") : Array("a = 1\nb = 2\n".utf8)))
                let fixed = agentWritesLF || !setup.converts ? Array("a = 10\nb = 2\n".utf8) : crlf("a = 10\nb = 2\n")
                try Data(fixed).write(to: URL(fileURLWithPath: worktree.path + "/a.py"))
                return try worktree.changes()
            }
            await pool.close()
            #expect(patch.paths == ["a.py"])
            // The patch holds the blob: LF, whatever the worktree file holds.
            #expect(patch.changes.first?.new?.bytes == Array("a = 10\nb = 2\n".utf8))
            let writer = BranchWriter(repository: repository, branch: "main")
            _ = try await writer.land(patch, message: "fix a\n", author: nil)
            #expect(try await committed(fixture, "a.py") == Array("a = 10\nb = 2\n".utf8))
            #expect(try bytes(fixture.root + "/a.py") == (setup.converts ? crlf("a = 10\nb = 2\n") : Array("a = 10\nb = 2\n".utf8)))
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
            #expect(try await fixture.git("diff", "--cached", "--stat").isEmpty)
            #expect(try await fixture.git("diff", "--stat").isEmpty)
        }
    }

    /// Without any conversion a file's CRLF is content: it lands as it is (unchanged behaviour).
    @Test func withoutConversionCRLFIsKeptAsContent() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await repository(.none, at: dir + "/repo", files: ["a.py": Array("a = 1\n".utf8)])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            let patch = try await pool.withWorktree(at: base) { worktree in
                try Data(crlf("a = 2\n")).write(to: URL(fileURLWithPath: worktree.path + "/a.py"))
                return try worktree.changes()
            }
            await pool.close()
            _ = try await BranchWriter(repository: repository, branch: "main").land(patch, message: "fix\n", author: nil)
            #expect(try await committed(fixture, "a.py") == crlf("a = 2\n"))
            #expect(try bytes(fixture.root + "/a.py") == crlf("a = 2\n"))
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
        }
    }

    /// Binary files (a NUL in the first 8000 bytes, or `-text`) are never converted, in the
    /// commit or in the working tree, under `core.autocrlf=true` and under `eol=crlf`.
    @Test(arguments: [Setup.attributes, Setup.autocrlf])
    func binaryFilesAreNotConverted(setup: Setup) async throws {
        try await withTemporaryDirectory { dir in
            let binary: [UInt8] = [0x41, 0x0D, 0x0A, 0x00, 0x42, 0x0A]
            let raw = crlf("raw = 1\n")
            // `text` set outright converts even binary content (as git does): binary detection is `text=auto`'s.
            let fixture = try await repository(
                setup, at: dir + "/repo", files: ["data.bin": binary, "raw.txt": raw],
                extraAttributes: "*.bin text=auto eol=crlf\n*.txt -text\n")
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let newBinary: [UInt8] = [0x41, 0x0D, 0x0A, 0x00, 0x43, 0x0A, 0x44, 0x0A]
            let newRaw = crlf("raw = 2\n")
            let pool = WorktreePool(repository: repository, capacity: 1)
            let patch = try await pool.withWorktree(at: base) { worktree in
                try Data(newBinary).write(to: URL(fileURLWithPath: worktree.path + "/data.bin"))
                try Data(newRaw).write(to: URL(fileURLWithPath: worktree.path + "/raw.txt"))
                return try worktree.changes()
            }
            await pool.close()
            #expect(patch.paths == ["data.bin", "raw.txt"])
            _ = try await BranchWriter(repository: repository, branch: "main").land(patch, message: "fix\n", author: nil)
            #expect(
                try await fixture.git("cat-file", "-s", "HEAD:data.bin").trimmingCharacters(in: .whitespacesAndNewlines)
                    == String(newBinary.count))
            #expect(try await committed(fixture, "raw.txt") == newRaw)
            #expect(try bytes(fixture.root + "/data.bin") == newBinary)
            #expect(try bytes(fixture.root + "/raw.txt") == newRaw)
            #expect(try await fixture.git("status", "--porcelain").isEmpty)
        }
    }

    /// An agent that rewrites a file with exactly what the checkout wrote changed nothing.
    @Test(arguments: [Setup.attributes, Setup.autocrlf])
    func rewritingTheCheckedOutBytesIsNoChange(setup: Setup) async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await repository(setup, at: dir + "/repo", files: ["a.py": Array("a = 1\n".utf8)])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1, watchChanges: true)
            try await pool.withWorktree(at: base) { worktree in
                try Data(crlf("a = 1\n")).write(to: URL(fileURLWithPath: worktree.path + "/a.py"))
                #expect(try worktree.changes().isEmpty)
            }
            await pool.close()
        }
    }

    /// A cached fix re-applied to a worktree is written as a checkout writes its blob, and reads
    /// back as the same patch.
    @Test func aReappliedPatchIsCheckedOutWithTheRepositorysLineEndings() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await repository(.attributes, at: dir + "/repo", files: ["a.py": Array("a = 1\n".utf8)])
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            let patch = try await pool.withWorktree(at: base) { worktree in
                try Data(crlf("a = 2\n")).write(to: URL(fileURLWithPath: worktree.path + "/a.py"))
                let patch = try worktree.changes()
                try worktree.discardChanges()
                try worktree.apply(patch)
                #expect(try bytes(worktree.path + "/a.py") == crlf("a = 2\n"))
                #expect(try worktree.changes() == patch)
                return patch
            }
            await pool.close()
            #expect(patch.changes.first?.new?.bytes == Array("a = 2\n".utf8))
        }
    }
}
