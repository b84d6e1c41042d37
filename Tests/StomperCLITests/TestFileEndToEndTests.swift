import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `{test_file}` with real pytest: each fix runs only the tests of its own file.
@Suite(.tags(.e2e)) struct TestFileEndToEndTests {
    /// `a.py`'s fix (dropping `import os`) breaks `tests/test_a.py`, which uses `a.os`: refused.
    /// `b.py`'s passes `tests/test_b.py` and lands; `c.py` has no test file, so with the default
    /// `verify.test_missing = "skip"` its fix lands on the linters' word alone.
    @Test func eachFixRunsTheTestsOfItsOwnFile() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo",
                extra: [
                    "pyproject.toml": "[tool.ruff.lint]\nselect = [\"F401\"]\n\n[tool.pytest.ini_options]\npythonpath = [\"src\"]\n",
                    "stomper.toml": """
                    [verify]
                    test_command = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "{test_file}"]
                    test_map = ["src/(.*/)?([^/]+)\\\\.py -> tests/test_$2.py"]

                    """,
                    "src/pkg/__init__.py": "",
                    "src/pkg/a.py": "import os\n\n\ndef one() -> int:\n    return 1\n",
                    "src/pkg/b.py": "import os\n\n\ndef two() -> int:\n    return 2\n",
                    "src/pkg/c.py": "import os\n\n\ndef three() -> int:\n    return 3\n",
                    "tests/test_a.py": "from pkg import a\n\n\ndef test_a() -> None:\n    assert a.os.sep == \"/\"\n",
                    "tests/test_b.py": "from pkg import b\n\n\ndef test_b() -> None:\n    assert b.two() == 2\n",
                ])
            let result = try await repo.stomper("fix", "--json")
            let outcomes = try repo.outcomes(try repo.report(result))
            #expect(outcomes["src/pkg/a.py"]?["status"] as? String == "failed", "\(result.stderrText)")
            #expect(outcomes["src/pkg/a.py"]?["refusal"] as? String == "tests_failed")
            #expect(outcomes["src/pkg/b.py"]?["status"] as? String == "fixed", "\(outcomes)")
            #expect(outcomes["src/pkg/c.py"]?["status"] as? String == "fixed", "\(outcomes)")
            #expect(try repo.fixture.read("src/pkg/a.py").hasPrefix("import os"))
            #expect(try !repo.fixture.read("src/pkg/b.py").contains("import os"))
        }
    }
}
