import Foundation
import StomperDocs
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct AtomicFileTests {
    private func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test func createsFoldersWritesAndReplaces() async throws {
        try await withTemporaryDirectory { dir in
            let target = dir + "/docs/stomper/a.py.md"
            try AtomicFile.write(Array("first\n".utf8), to: target)
            #expect(try contents(target) == "first\n")
            try AtomicFile.write(Array("second, longer\n".utf8), to: target)
            #expect(try contents(target) == "second, longer\n")
            try AtomicFile.write([], to: target)
            #expect(try contents(target) == "")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/docs/stomper") == ["a.py.md"])
        }
    }

    @Test(arguments: [0o600, 0o644, 0o640])
    func givesTheRequestedModeWhateverTheUmask(_ requested: Int) async throws {
        try await withTemporaryDirectory { dir in
            let target = dir + "/doc.md"
            try AtomicFile.write(Array("x".utf8), to: target, mode: mode_t(requested))
            #expect(try mode(target) == requested)
        }
    }

    @Test func aRelativePathIsRejected() {
        #expect {
            try AtomicFile.write([1], to: "docs/a.md")
        } throws: { ($0 as? DocsError)?.code == .invalidPath }
    }

    @Test func aFailedRenameLeavesNoTemporaryFile() async throws {
        try await withTemporaryDirectory { dir in
            let target = dir + "/occupied"
            try FileManager.default.createDirectory(atPath: target + "/child", withIntermediateDirectories: true)
            #expect {
                try AtomicFile.write(Array("x".utf8), to: target)
            } throws: { ($0 as? DocsError)?.code == .io && ($0 as? DocsError)?.errno != nil }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["occupied"])
        }
    }

    @Test func aParentThatIsAFileIsAnIOError() async throws {
        try await withTemporaryDirectory { dir in
            try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/file"))
            #expect {
                try AtomicFile.write(Array("x".utf8), to: dir + "/file/doc.md")
            } throws: { ($0 as? DocsError)?.code == .io }
        }
    }

    /// The docs folder replaced by a link to a folder outside: nothing behind it is listed or
    /// removed (an outside decoy named like a temporary stays).
    @Test func staleTemporariesAreNotRemovedThroughALinkedFolder() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/outside", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir + "/repo", withIntermediateDirectories: true)
            try Data("decoy".utf8).write(to: URL(fileURLWithPath: dir + "/outside/.stomper-1.tmp"))
            try FileManager.default.createSymbolicLink(atPath: dir + "/repo/docs", withDestinationPath: "../outside")
            #expect(try AtomicFile.removeStaleTemporaries(in: "docs", beneath: dir + "/repo").isEmpty)
            #expect(FileManager.default.fileExists(atPath: dir + "/outside/.stomper-1.tmp"))
        }
    }

    @Test func removesOnlyStaleTemporaries() async throws {
        try await withTemporaryDirectory { dir in
            for name in [".stomper-b1.tmp", ".stomper-a2.tmp", "keep.tmp", ".stomper-keep", "doc.md"] {
                try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
            }
            #expect(try AtomicFile.removeStaleTemporaries(in: "", beneath: dir) == [".stomper-a2.tmp", ".stomper-b1.tmp"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [".stomper-keep", "doc.md", "keep.tmp"])
            #expect(try AtomicFile.removeStaleTemporaries(in: "", beneath: dir).isEmpty)
            #expect(try AtomicFile.removeStaleTemporaries(in: "missing", beneath: dir).isEmpty)
        }
    }

    /// A writer killed at the `docs.write` failpoint leaves the old doc intact and only a
    /// temporary file behind, which the cleanup removes.
    @Test func aKilledWriterLeavesTheOldContentAndATemporaryFile() async throws {
        try await withTemporaryDirectory { dir in
            let target = dir + "/doc.md"
            try AtomicFile.write(Array("old\n".utf8), to: target)
            await #expect(processExitsWith: .signal(SIGKILL)) { [target = target as String] in
                setenv("STOMPER_FAILPOINT", "docs.write", 1)
                try AtomicFile.write(Array("new\n".utf8), to: target)
            }
            #expect(try contents(target) == "old\n")
            let names = try FileManager.default.contentsOfDirectory(atPath: dir)
            #expect(names.count == 2)
            #expect(names.contains { $0.hasPrefix(".stomper-") && $0.hasSuffix(".tmp") })
            #expect(try AtomicFile.removeStaleTemporaries(in: "", beneath: dir).count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["doc.md"])
        }
    }
}
