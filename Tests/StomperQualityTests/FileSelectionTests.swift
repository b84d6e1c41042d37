import Foundation
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct FileSelectionTests {
    static func diagnostics(_ path: String, _ codes: [String]) -> [Diagnostic] {
        codes.enumerated().map { index, code in
            Diagnostic(tool: "t", path: path, line: index + 1, column: 1, code: code, message: "m\(index)")
        }
    }

    @Test(arguments: [
        ("src/**/*.py", "src/a.py", true),
        ("src/**/*.py", "src/x/y/a.py", true),
        ("src/**/*.py", "lib/src/a.py", false),
        ("src/**/*.py", "src/a.pyi", false),
        ("src/*.py", "src/a.py", true),
        ("src/*.py", "src/x/a.py", false),
        ("*.py", "a.py", true),
        ("*.py", "deep/er/a.py", true),
        ("*.py", "a.py.txt", false),
        ("a?.sh", "dir/ab.sh", true),
        ("a?.sh", "dir/a.sh", false),
        ("a?.sh", "a/b.sh", false),
        ("src/", "src/x/y.py", true),
        ("src", "src/x/y.py", true),
        ("src", "lib/src/y.py", true),
        ("src", "srcs/y.py", false),
        ("/src", "lib/src/y.py", false),
        ("./src/a.py", "src/a.py", true),
        ("**/test_*.py", "test_a.py", true),
        ("**/test_*.py", "x/y/test_a.py", true),
        ("**", "anything/at/all", true),
        ("f[0-9].py", "f7.py", true),
        ("f[!0-9].py", "f7.py", false),
        ("f[!0-9].py", "fa.py", true),
        ("*a*b*", "xxaxxbxx", true),
        ("*a*b*", "xxbxxaxx", false),
    ])
    func globs(pattern: String, path: String, expected: Bool) {
        #expect(Glob(pattern).matches(path) == expected, "\(pattern) vs \(path)")
    }

    @Test func matchesPathCombinesPatternsExcludesAndOnlyPaths() {
        let selection = FileSelection(
            patterns: ["src/**/*.py", "*.sh"], excludes: ["src/vendor/", "*_pb2.py"],
            onlyPaths: ["src/a.py", "src/vendor/v.py", "src/x_pb2.py", "run.sh", "docs/a.py"])
        #expect(selection.matchesPath("src/a.py"))
        #expect(selection.matchesPath("./src/a.py"))
        #expect(selection.matchesPath("run.sh"))
        #expect(!selection.matchesPath("src/vendor/v.py"))
        #expect(!selection.matchesPath("src/x_pb2.py"))
        #expect(!selection.matchesPath("docs/a.py"))
        #expect(!selection.matchesPath("src/b.py"))
        #expect(FileSelection().matchesPath("any/thing.txt"))
    }

    @Test func errorTypesKeepCodesAndPrefixesAndIgnoreDrops() {
        let selection = FileSelection(errorTypes: ["F", "arg-type", "E7"], ignore: ["F841"])
        let result = selection.apply([
            "a.py": Self.diagnostics("a.py", ["F401", "F841", "E501", "E741", "arg-type", "Arg-type", "assignment"]),
            "b.py": Self.diagnostics("b.py", ["E501", "F841"]),
        ])
        #expect(result.files.keys.sorted() == ["a.py"])
        #expect(result.files["a.py"]?.map(\.code) == ["F401", "E741", "arg-type"])
        #expect(result.excluded.isEmpty)
        #expect(FileSelection(ignore: ["E"]).keeps(code: "F401") && !FileSelection(ignore: ["E"]).keeps(code: "E501"))
    }

    @Test func pathFiltersReportWhyAFileWasLeftOut() {
        let selection = FileSelection(patterns: ["src/"], excludes: ["src/gen/"], onlyPaths: ["src/a.py", "src/gen/g.py", "lib/c.py"])
        let result = selection.apply([
            "src/a.py": Self.diagnostics("src/a.py", ["F401"]),
            "src/gen/g.py": Self.diagnostics("src/gen/g.py", ["F401"]),
            "lib/c.py": Self.diagnostics("lib/c.py", ["F401"]),
            "src/b.py": Self.diagnostics("src/b.py", ["F401"]),
        ])
        #expect(result.paths == ["src/a.py"])
        #expect(result.excluded["src/gen/g.py"] == "excluded by src/gen/")
        #expect(result.excluded["lib/c.py"]?.contains("patterns") == true)
        #expect(result.excluded["src/b.py"] == "not among the selected paths")
    }

    @Test func maxFilesKeepsTheFirstFilesInPathOrder() {
        let input = Dictionary(uniqueKeysWithValues: ["d.py", "b.py", "a.py", "c.py"].map { ($0, Self.diagnostics($0, ["F401"])) })
        let result = FileSelection(maxFiles: 2).apply(input)
        #expect(result.paths == ["a.py", "b.py"])
        #expect(result.excluded == ["c.py": "beyond --max-files 2", "d.py": "beyond --max-files 2"])
        #expect(FileSelection(maxFiles: 0).apply(input).files.isEmpty)
    }

    /// Whole files, in path order, stopping at the first that would go past the limit; never a split file.
    @Test func maxErrorsKeepsWholeFilesDeterministically() {
        let input = [
            "a.py": Self.diagnostics("a.py", ["F1", "F2"]),
            "b.py": Self.diagnostics("b.py", ["F1", "F2", "F3"]),
            "c.py": Self.diagnostics("c.py", ["F1"]),
            "d.py": Self.diagnostics("d.py", ["F1"]),
        ]
        let selection = FileSelection(maxErrors: 4)
        let result = selection.apply(input)
        #expect(result.paths == ["a.py"])
        #expect(result.diagnosticCount == 2)
        #expect(
            result.excluded == [
                "b.py": "beyond --max-errors 4", "c.py": "beyond --max-errors 4",
                "d.py": "beyond --max-errors 4",
            ])
        #expect(FileSelection(maxErrors: 5).apply(input).paths == ["a.py", "b.py"])
        // The first file is kept whole even when it alone exceeds the limit.
        let tight = FileSelection(maxErrors: 1).apply(input)
        #expect(tight.paths == ["a.py"] && tight.files["a.py"]?.count == 2)
        // Same input, same answer, whatever the dictionary's order.
        for _ in 0..<5 {
            var shuffled: [String: [Diagnostic]] = [:]
            for (key, value) in input.shuffled() { shuffled[key] = value.shuffled() }
            #expect(selection.apply(shuffled) == result)
        }
    }

    @Test func limitsApplyAfterCodeFiltering() {
        let input = [
            "a.py": Self.diagnostics("a.py", ["E501", "E501"]),
            "b.py": Self.diagnostics("b.py", ["F401"]),
            "c.py": Self.diagnostics("c.py", ["F401"]),
        ]
        let result = FileSelection(errorTypes: ["F"], maxFiles: 1).apply(input)
        #expect(result.paths == ["b.py"])
        #expect(result.excluded == ["c.py": "beyond --max-files 1"])
    }

    @Test func roundTripsThroughJSON() throws {
        let selection = FileSelection(
            patterns: ["src/**"], excludes: ["*.md"], onlyPaths: ["src/a.py"], errorTypes: ["F"],
            ignore: ["F841"], maxFiles: 3, maxErrors: 9)
        let decoded = try JSONDecoder().decode(FileSelection.self, from: try JSONEncoder().encode(selection))
        #expect(decoded == selection)
    }
}
