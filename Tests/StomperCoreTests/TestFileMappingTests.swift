import Foundation
import StomperCore
import StomperTestSupport
import Testing

/// `{test_file}`: which test file goes with a source, and what runs when none does.
@Suite(.tags(.unit)) struct TestFileMappingTests {
    @Test func rulesMapSourcesToTestFilesThatExist() throws {
        var command = try TestCommand(argv: ["pytest", "-q", "{test_file}"], timeout: .seconds(10))
        command.testMap =
            try [#"src/(.*/)?([^/]+)\.py -> tests/$1test_$2.py"#].map(TestMapRule.init)
            + TestMapRule.defaults.map(TestMapRule.init)
        let existing: Set<String> = ["tests/pkg/test_x.py", "tests/test_y.py", "lib/test_z.py"]
        #expect(command.testFile(for: "src/pkg/x.py", exists: existing.contains) == "tests/pkg/test_x.py")
        #expect(command.testFile(for: "src/y.py", exists: existing.contains) == "tests/test_y.py")
        #expect(command.testFile(for: "lib/z.py", exists: existing.contains) == "lib/test_z.py")
        #expect(command.testFile(for: "lib/w.py", exists: existing.contains) == nil)
        // A test file is its own.
        #expect(command.testFile(for: "tests/test_y.py", exists: { _ in false }) == "tests/test_y.py")
    }

    @Test func withoutATestFileTheCommandIsSkippedOrRunsWhole() async throws {
        try await withTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/tests", withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: dir + "/tests/test_a.py"))
            var command = try TestCommand(argv: ["pytest", "-q", "{test_file}", "--", "{file}"], timeout: .seconds(10))
            command.testMap = try TestMapRule.defaults.map(TestMapRule.init)
            #expect(command.words(for: "pkg/a.py", in: dir) == ["pytest", "-q", "tests/test_a.py", "--", "pkg/a.py"])
            #expect(command.words(for: "pkg/b.py", in: dir) == nil)
            let skipped = await command.run(path: "pkg/b.py", in: dir)
            #expect(skipped.passed && skipped.summary.contains("no test file"))
            command.withoutTestFile = .all
            #expect(command.words(for: "pkg/b.py", in: dir) == ["pytest", "-q", "--", "pkg/b.py"])
        }
    }

    @Test func aRuleWithoutAnArrowOrWithABadExpressionIsRefused() {
        #expect(throws: CoreError.self) { try TestMapRule("src/(.*)\\.py") }
        #expect(throws: CoreError.self) { try TestMapRule("src/(.*\\.py -> tests/x.py") }
    }
}
