import Foundation
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct SuppressionGateTests {
    let gate = SuppressionGate()

    func rules(_ violations: [GateViolation]) -> [SuppressionGate.Rule] { violations.map(\.rule) }

    @Test func addedNoqaIsFlaggedWithLineAndText() {
        let violations = gate.check(path: "a.py", before: "import os\nx = 1\n", after: "import os  # noqa: F401\nx = 1\n")
        #expect(violations == [GateViolation(rule: .noqa, path: "a.py", line: 1, text: "import os  # noqa: F401")])
        #expect(violations[0].description.contains("a.py:1: added a `# noqa` suppression"))
        #expect(violations[0].description.contains("verify.gate_allow = [\"noqa\"]"))
    }

    @Test func preExistingMovedOrReindentedSuppressionIsNotAdded() {
        let before = "import os  # noqa: F401\n\ndef f():\n    return 1  # type: ignore[return-value]\n"
        let after = "def f():\n        return 2  # type: ignore[return-value]\n\nimport os, sys  # noqa: F401\n"
        #expect(gate.check(path: "a.py", before: before, after: after).isEmpty)
    }

    @Test func aSecondCopyOrAWidenedSuppressionIsAdded() {
        let before = "import os  # noqa: F401\n"
        let copied = gate.check(path: "a.py", before: before, after: "import os  # noqa: F401\nimport re  # noqa: F401\n")
        #expect(copied.map(\.line) == [2])
        let widened = gate.check(path: "a.py", before: before, after: "import os  # noqa: F401, E501\n")
        #expect(rules(widened) == [.noqa])
    }

    @Test(arguments: [
        ("x = f()  # noqa", SuppressionGate.Rule.noqa),
        ("# ruff: noqa", .noqa),
        ("# flake8: noqa: E501", .noqa),
        ("x = f()  #NOQA", .noqa),
        // A colon between letters joins them into one word under Unicode's word rules: these
        // passed the gate while `\b` followed them.
        ("return missing  #noqa:F821", .noqa),
        ("x = f()  # NOQA:E501", .noqa),
        ("# ruff: noqa:F401", .noqa),
        ("x: int = f()  #type:ignore", .typeIgnore),
        ("x = f()  #pyright:ignore", .pyrightIgnore),
        ("# mypy:ignore-errors", .mypyIgnore),
        ("x = f()  #nosec:B602", .nosec),
        ("#fmt:off", .fmtOff),
        ("# ruff: disable[E501]", .noqa),
        ("x: int = f()  # type: ignore[assignment]", .typeIgnore),
        ("x = f()  # pyre-fixme[6]", .typeIgnore),
        ("x = f()  # pyright: ignore[reportGeneralTypeIssues]", .pyrightIgnore),
        ("# pyright: basic", .pyrightIgnore),
        ("# pyright: reportMissingImports=false", .pyrightIgnore),
        ("# mypy: ignore-errors", .mypyIgnore),
        ("# mypy: disable-error-code=\"arg-type\"", .mypyIgnore),
        ("def f():  # pylint: disable=invalid-name", .pylintDisable),
        ("# pylint: skip-file", .pylintDisable),
        ("# shellcheck disable=SC2086", .shellcheckDisable),
        ("key: value  # yamllint disable-line rule:line-length", .yamllintDisable),
        ("// eslint-disable-next-line no-console", .eslintDisable),
        ("// @ts-expect-error", .tsIgnore),
        ("subprocess.call(cmd, shell=True)  # nosec", .nosec),
        ("# fmt: off", .fmtOff),
        ("x = [1,2]  # fmt: skip", .fmtOff),
    ])
    func eachSuppressionMarkerIsDetected(_ line: String, _ rule: SuppressionGate.Rule) {
        let violations = gate.check(path: "a.py", before: "x = 1\n", after: "x = 1\n" + line + "\n")
        #expect(rules(violations) == [rule], "\(line)")
        #expect(violations.first?.line == 2)
        #expect(SuppressionGate(allowed: [rule]).check(path: "a.py", before: "x = 1\n", after: "x = 1\n" + line + "\n").isEmpty)
    }

    @Test func lookalikesAreNotSuppressions() {
        let after = "noqa = 1\ntype_ignore = True\n# this is the fmt module\nx = 'format: off'\n"
        #expect(gate.check(path: "a.py", before: "", after: after).isEmpty)
    }

    @Test func aMarkerInsideAStringOnAnAddedLineIsFlagged() {
        // Documented: matching is textual.
        #expect(rules(gate.check(path: "a.py", before: "", after: "HELP = 'write # noqa to silence ruff'\n")) == [.noqa])
    }

    @Test func allowedRuleIsSkippedOthersStillApply() {
        let after = "import os  # noqa\nx = f()  # type: ignore\n"
        let relaxed = SuppressionGate(allowed: [.noqa]).check(path: "a.py", before: "", after: after)
        #expect(rules(relaxed) == [.typeIgnore])
    }

    @Test func configurationEditsAreFlaggedForTheFixedPathAndOtherPaths() {
        let violations = gate.check(
            path: "a.py", before: "x = 1\n", after: "x = 2\n",
            otherChangedPaths: ["pyproject.toml", "sub/.ruff.toml", "b.py", "scripts/.shellcheckrc"])
        #expect(violations.map(\.path) == ["pyproject.toml", "scripts/.shellcheckrc", "sub/.ruff.toml"])
        #expect(Set(rules(violations)) == [.lintConfig])
        #expect(violations[0].description.contains("lint or type-checker configuration"))
        let fixingTheConfigItself = gate.check(path: "setup.cfg", before: "[flake8]\n", after: "[flake8]\nignore = E501\n")
        #expect(rules(fixingTheConfigItself) == [.lintConfig])
        #expect(gate.check(path: "mypy.ini", before: "[mypy]\n", after: "[mypy]\n").isEmpty)
        #expect(SuppressionGate(allowed: [.lintConfig]).check(path: "a.py", before: "", after: "", otherChangedPaths: ["tox.ini"]).isEmpty)
        for name in [
            ".flake8", ".pylintrc", "pylintrc", "mypy.ini", ".mypy.ini", "ruff.toml", "pyrightconfig.json",
            ".pre-commit-config.yaml", ".editorconfig", "pytest.ini",
        ] {
            #expect(SuppressionGate.isConfiguration("deep/" + name), "\(name)")
        }
        #expect(!SuppressionGate.isConfiguration("pyproject.toml.bak"))
    }

    @Test func removedTestFunctionsAreDeletedTests() {
        let before = "def test_a():\n    assert f()\n\nasync def test_b():\n    assert g()\n\nclass TestC:\n    def test_c(self):\n        pass\n"
        let after = "def test_a():\n    assert f()\n"
        let violations = gate.check(path: "tests/test_api.py", before: before, after: after)
        #expect(violations == [GateViolation(rule: .testDeleted, path: "tests/test_api.py", line: nil, text: "2 of 3 tests removed")])
        #expect(gate.check(path: "tests/test_api.py", before: before, after: before.replacingOccurrences(of: "test_b", with: "test_bb")).isEmpty)
        // The same edit outside a test file is not about tests.
        #expect(gate.check(path: "src/api.py", before: before, after: after).isEmpty)
    }

    @Test func aDeletedTestFileIsDeletedTests() {
        let violations = gate.check(path: "pkg/api_test.py", before: "def test_a():\n    pass\n", after: "")
        #expect(violations.map(\.text) == ["the test file was deleted"])
        #expect(rules(gate.check(path: "tests/run_test.sh", before: "test_ok() {\n  true\n}\n", after: "")) == [.testDeleted])
        #expect(rules(gate.check(path: "t/cli.bats", before: "@test \"runs\" {\n  run x\n}\n", after: "")) == [.testDeleted])
    }

    @Test(arguments: [
        "@pytest.mark.skip(reason=\"flaky\")", "@pytest.mark.skipif(True, reason=\"x\")", "@pytest.mark.xfail",
        "    pytest.skip(\"later\")", "@unittest.skip(\"later\")", "        self.skipTest(\"later\")", "@unittest.expectedFailure",
    ])
    func addedSkipMarkersInTestsAreSkippedTests(_ marker: String) {
        let before = "import pytest\n\ndef test_a():\n    assert f()\n"
        let after = "import pytest\n\n" + marker + "\ndef test_a():\n    assert f()\n"
        let violations = gate.check(path: "tests/test_a.py", before: before, after: after)
        #expect(rules(violations) == [.testSkipped], "\(marker)")
        #expect(violations.first?.line == 3)
        #expect(SuppressionGate(allowed: [.testSkipped]).check(path: "tests/test_a.py", before: before, after: after).isEmpty)
    }

    @Test func preExistingSkipIsNotAddedAndLibraryCodeIsNotATest() {
        let before = "@pytest.mark.skip(reason=\"slow\")\ndef test_a():\n    pass\n"
        let after = "\n@pytest.mark.skip(reason=\"slow\")\ndef test_a():\n    assert True\n"
        #expect(gate.check(path: "test_x.py", before: before, after: after).isEmpty)
        #expect(gate.check(path: "src/x.py", before: "", after: "pytest.skip('x')\n").isEmpty)
        #expect(
            SuppressionGate.isTestFile("tests/helpers.py") && SuppressionGate.isTestFile("test_x.py")
                && SuppressionGate.isTestFile("x_test.py") && !SuppressionGate.isTestFile("src/contest.py"))
    }

    @Test func ruleNamesAreStableForConfiguration() {
        #expect(
            SuppressionGate.Rule.allCases.map(\.rawValue) == [
                "noqa", "type-ignore", "pyright-ignore", "mypy-ignore", "pylint-disable", "shellcheck-disable", "yamllint-disable",
                "eslint-disable", "ts-ignore", "nosec", "fmt-off", "lint-config", "test-deleted", "test-skipped",
            ])
        #expect(SuppressionGate.Rule(rawValue: "type-ignore") == .typeIgnore)
    }

    @Test func crlfLinesAndMultipleViolationsAreOrderedByLine() {
        let after = "x = f()  # type: ignore\r\nimport os  # noqa\r\n"
        let violations = gate.check(path: "a.py", before: "", after: after, otherChangedPaths: ["ruff.toml"])
        #expect(violations.map(\.rule) == [.lintConfig, .typeIgnore, .noqa])
        #expect(violations[1].text == "x = f()  # type: ignore")
    }
}
