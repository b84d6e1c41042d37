import Foundation
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct UnifiedDiffTests {
    /// Ten lines `l1`…`l10`.
    static let tenLines = (1...10).map { "l\($0)\n" }.joined()

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `diff` applied to `original` in memory.
    func apply(_ diff: String, to original: String) throws -> String {
        let diffs = try UnifiedDiff.parse(bytes(diff), tool: "tool")
        try #require(diffs.count == 1)
        return String(decoding: try diffs[0].applied(to: bytes(original), tool: "tool"), as: UTF8.self)
    }

    /// Expects `body` to throw a QualityError with `code` whose message contains every one of `parts`.
    func expectRefusal(
        _ code: QualityError.Code, containing parts: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("expected a refusal", sourceLocation: sourceLocation)
        } catch let error as QualityError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            for part in parts { #expect(error.message.contains(part), "\(error.message)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func appliesSeveralHunksExactly() throws {
        let diff = """
            --- a/x.sh
            +++ b/x.sh
            @@ -1,3 +1,4 @@
             l1
            -l2
            +two
            +2b
             l3
            @@ -8,3 +9,2 @@
             l8
            -l9
             l10

            """
        #expect(try apply(diff, to: Self.tenLines) == "l1\ntwo\n2b\nl3\nl4\nl5\nl6\nl7\nl8\nl10\n")
        let parsed = try UnifiedDiff.parse(bytes(diff), tool: "tool")
        #expect(parsed.map(\.path) == ["x.sh"])
        #expect(parsed[0].hunks.map(\.header) == ["@@ -1,3 +1,4 @@", "@@ -8,3 +9,2 @@"])
        #expect(parsed[0].names("x.sh") && parsed[0].names("./x.sh") && !parsed[0].names("y.sh"))
    }

    /// A count of 0 names the line after which to insert; 0 is the start of the file. A missing count is 1.
    @Test func insertsAtTheStartAndTheEnd() throws {
        let diff = "--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+first\n@@ -2,0 +4,2 @@\n+last\n+really\n"
        #expect(try apply(diff, to: "a\nb\n") == "first\na\nb\nlast\nreally\n")
        #expect(try apply("--- a/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+new\n+file\n", to: "") == "new\nfile\n")
    }

    @Test func keepsAndChangesAMissingNewlineAtTheEnd() throws {
        let noNewline = "\\ No newline at end of file\n"
        // Changed last line, still without a newline.
        #expect(try apply("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\(noNewline)+c\n\(noNewline)", to: "a\nb") == "a\nc")
        // The old side has none, the new side has one (what shellcheck prints when it fixes the last line).
        #expect(try apply("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\(noNewline)+c\n", to: "a\nb") == "a\nc\n")
        // An unchanged last line without a newline, as context.
        #expect(try apply("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+x\n b\n\(noNewline)", to: "a\nb") == "x\nb")
        // The diff says the last line has a newline; the file's has none.
        expectRefusal(.fixRejected, containing: ["hunk 1 of 1", "line 2", "(without a newline)"]) {
            _ = try apply("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n", to: "a\nb")
        }
        // A line without a newline that would end up before other lines.
        expectRefusal(.fixRejected, containing: ["without a newline"]) {
            _ = try apply("--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-a\n+b\n\(noNewline)", to: "a\nc\n")
        }
    }

    @Test func keepsCRLFLineEndings() throws {
        let diff = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\r\n-b $1\r\n+b \"$1\"\r\n c\r\n"
        #expect(try apply(diff, to: "a\r\nb $1\r\nc\r\n") == "a\r\nb \"$1\"\r\nc\r\n")
        // The same lines with LF endings do not match a CRLF file.
        expectRefusal(.fixRejected, containing: ["expects line 1 to be `a`", "but it is `a\\r`"]) {
            _ = try apply("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b $1\n+b \"$1\"\n", to: "a\r\nb $1\r\n")
        }
    }

    @Test func aMismatchIsRefusedNamingFileHunkAndLineAndNothingIsWritten() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            let original = Self.tenLines.replacingOccurrences(of: "l9\n", with: "changed\n")
            try Data(original.utf8).write(to: URL(fileURLWithPath: dir + "/bin/x.sh"))
            let diff = "--- a/bin/x.sh\n+++ b/bin/x.sh\n@@ -1,2 +1,2 @@\n-l1\n+one\n l2\n@@ -8,3 +8,2 @@\n l8\n-l9\n l10\n"
            expectRefusal(
                .fixRejected,
                containing: [
                    "tool's fix for bin/x.sh was not applied", "hunk 2 of 2 (@@ -8,3 +8,2 @@)",
                    "expects line 9 to be `l9`, but it is `changed`",
                ]
            ) {
                try UnifiedDiff.apply(bytes(diff), toFile: "bin/x.sh", root: dir, tool: "tool")
            }
            #expect(try String(contentsOfFile: dir + "/bin/x.sh", encoding: .utf8) == original)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/bin") == ["x.sh"])
        }
    }

    @Test func writesAtomicallyKeepingPermissionsAndSaysWhenThereWasNothing() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/run.sh"
            try Data("#!/bin/sh\necho $1\n".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: path)
            let diff = "--- a/run.sh\n+++ b/run.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo $1\n+echo \"$1\"\n\n"
            #expect(try UnifiedDiff.apply(bytes(diff), toFile: "run.sh", root: dir, tool: "tool"))
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "#!/bin/sh\necho \"$1\"\n")
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o750)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["run.sh"])
            // Empty or blank output: nothing to fix, nothing written.
            #expect(try UnifiedDiff.apply([], toFile: "run.sh", root: dir, tool: "tool") == false)
            #expect(try UnifiedDiff.apply(bytes("\n"), toFile: "run.sh", root: dir, tool: "tool") == false)
            #expect(try UnifiedDiff.parse([], tool: "tool").isEmpty)
        }
    }

    @Test func aDiffOfAnotherFileIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            try Data("a\n".utf8).write(to: URL(fileURLWithPath: dir + "/x.sh"))
            try Data("a\n".utf8).write(to: URL(fileURLWithPath: dir + "/y.sh"))
            let other = "--- a/y.sh\n+++ b/y.sh\n@@ -1 +1 @@\n-a\n+b\n"
            expectRefusal(.fixRejected, containing: ["its diff is for `a/y.sh`", "not for x.sh"]) {
                try UnifiedDiff.apply(bytes(other), toFile: "x.sh", root: dir, tool: "tool")
            }
            // One file's diff followed by another's: nothing is written, not even the first.
            let both = "--- a/x.sh\n+++ b/x.sh\n@@ -1 +1 @@\n-a\n+b\n" + other
            expectRefusal(.fixRejected, containing: ["not for x.sh"]) {
                try UnifiedDiff.apply(bytes(both), toFile: "x.sh", root: dir, tool: "tool")
            }
            #expect(try String(contentsOfFile: dir + "/x.sh", encoding: .utf8) == "a\n")
            #expect(try String(contentsOfFile: dir + "/y.sh", encoding: .utf8) == "a\n")
            // A symbolic link is not written through.
            try FileManager.default.createSymbolicLink(atPath: dir + "/link.sh", withDestinationPath: dir + "/x.sh")
            expectRefusal(.fileAccess, containing: ["not a regular file"]) {
                try UnifiedDiff.apply(bytes("--- a/link.sh\n+++ b/link.sh\n@@ -1 +1 @@\n-a\n+b\n"), toFile: "link.sh", root: dir, tool: "tool")
            }
            #expect(try String(contentsOfFile: dir + "/x.sh", encoding: .utf8) == "a\n")
        }
    }

    /// An agent replaced a folder on the way to the file by a link to a folder outside the
    /// worktree: the fix is refused and the file outside (a decoy) keeps its bytes and mode.
    @Test func aLinkInAParentFolderIsNotWrittenThrough() async throws {
        try await withTemporaryDirectory { dir in
            let outside = dir + "/outside"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data("a\n".utf8).write(to: URL(fileURLWithPath: outside + "/x.sh"))
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: outside + "/x.sh")
            let decoy = try FileManager.default.contentsOfDirectory(atPath: outside)
            let worktree = dir + "/worktree"
            try FileManager.default.createDirectory(atPath: worktree + "/deep", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: worktree + "/pkg", withDestinationPath: outside)
            try FileManager.default.createSymbolicLink(atPath: worktree + "/deep/up", withDestinationPath: "../../outside")
            for path in ["pkg/x.sh", "deep/up/x.sh"] {
                expectRefusal(.fileAccess, containing: [path, "symbolic link"]) {
                    try UnifiedDiff.apply(
                        bytes("--- a/\(path)\n+++ b/\(path)\n@@ -1 +1 @@\n-a\n+b\n"), toFile: path, root: worktree,
                        tool: "tool")
                }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: outside + "/x.sh")) == Data("a\n".utf8))
            let mode = try FileManager.default.attributesOfItem(atPath: outside + "/x.sh")[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o640)
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == decoy)
            // A path that leaves the root is refused too.
            expectRefusal(.fileAccess, containing: ["leaves"]) {
                try UnifiedDiff.apply(
                    bytes("--- a/../outside/x.sh\n+++ b/../outside/x.sh\n@@ -1 +1 @@\n-a\n+b\n"),
                    toFile: "../outside/x.sh", root: worktree, tool: "tool")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: outside + "/x.sh")) == Data("a\n".utf8))
        }
    }

    @Test(arguments: [
        ("garbage", "Issues were detected\n", "expected a `--- FILE` line"),
        ("no hunk", "--- a/x\n+++ b/x\n", "expected a hunk"),
        ("no new name", "--- a/x\n@@ -1 +1 @@\n-a\n+b\n", "expected a `+++ FILE` line"),
        ("bad header", "--- a/x\n+++ b/x\n@@ -1 +1\n-a\n+b\n", "malformed hunk header"),
        ("short hunk", "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n", "the hunk ends after 1 of its 2 old"),
        ("long hunk", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n-b\n+b\n", "more lines than its header says"),
        ("empty line", "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n\n+b\n", "an empty line inside a hunk"),
        ("stray line", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n*b\n", "must start with"),
        ("cut short", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b", "ends in the middle of a line"),
        ("deletion", "--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n", "creates or deletes a file"),
        ("lone marker", "--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n\\ No newline at end of file\n+a\n", "follows no line"),
        ("trailing text", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\nnot a diff\n", "line 6 of its output `not a diff`"),
    ])
    func malformedOutputIsRefused(name: String, output: String, reason: String) {
        expectRefusal(.fixRejected, containing: ["not a diff stomper can apply", reason]) {
            _ = try UnifiedDiff.parse(bytes(output), tool: "tool")
        }
    }

    @Test func hunksOutOfOrderOrWithInconsistentPositionsAreRefused() {
        expectRefusal(.fixRejected, containing: ["hunk 2 of 2", "starts before the end of the hunk before it"]) {
            _ = try apply("--- a/x\n+++ b/x\n@@ -5 +5 @@\n-l5\n+five\n@@ -2 +2 @@\n-l2\n+two\n", to: Self.tenLines)
        }
        expectRefusal(.fixRejected, containing: ["hunk 2 of 2", "puts its new lines at 5", "they start at 6"]) {
            _ = try apply("--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n-l1\n+a\n+b\n@@ -5 +5 @@\n-l5\n+five\n", to: Self.tenLines)
        }
        expectRefusal(.fixRejected, containing: ["reaches line 12", "the file has 10 lines"]) {
            _ = try apply("--- a/x\n+++ b/x\n@@ -10,3 +10,3 @@\n l10\n-l11\n+x\n l12\n", to: Self.tenLines)
        }
    }
}
