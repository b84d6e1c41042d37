import Foundation

/// Rejects a fix that silences diagnostics instead of fixing them: an added suppression comment,
/// an edited lint or type-checker configuration, deleted or skipped tests.
///
/// Pure and deterministic: it compares the fixed file's text before and after, plus the paths
/// of any other files the attempt changed. On by default; each rule can be allowed by its raw
/// name (`verify.gate_allow = ["fmt-off"]` in stomper.toml).
///
/// Suppressions count only when added. Each one is keyed by its comment text (from the marker to
/// the end of the line), and the gate compares how many of each key there are before and after:
/// a suppression that moved, or whose line's code changed around it, is not new; a second copy,
/// or a widened one (`# noqa: F401` → `# noqa: F401, E501`), is. Matching is textual, so a marker
/// inside a string literal on an added line is flagged too; allow the rule if that is intended.
public struct SuppressionGate: Sendable, Hashable {
    /// One kind of cheating, with a stable raw name for configuration.
    public enum Rule: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        /// `# noqa`, `# ruff: noqa`, `# flake8: noqa`, `# ruff: disable`.
        case noqa
        /// `# type: ignore`, `# pyre-ignore`, `# pyre-fixme`.
        case typeIgnore = "type-ignore"
        /// `# pyright: ignore`, `# pyright: basic`, `# pyright: reportX=false`.
        case pyrightIgnore = "pyright-ignore"
        /// `# mypy: ignore-errors`, `# mypy: disable-error-code`.
        case mypyIgnore = "mypy-ignore"
        /// `# pylint: disable`, `# pylint: disable-next`, `# pylint: skip-file`.
        case pylintDisable = "pylint-disable"
        /// `# shellcheck disable=…`.
        case shellcheckDisable = "shellcheck-disable"
        /// `# yamllint disable`, `# yamllint disable-line`.
        case yamllintDisable = "yamllint-disable"
        /// `eslint-disable`, `eslint-disable-line`, `eslint-disable-next-line`.
        case eslintDisable = "eslint-disable"
        /// `@ts-ignore`, `@ts-expect-error`, `@ts-nocheck`.
        case tsIgnore = "ts-ignore"
        /// `# nosec` (bandit).
        case nosec
        /// `# fmt: off`, `# fmt: skip`: hides code from the formatter, whose findings stomper fixes.
        case fmtOff = "fmt-off"
        /// An edit to lint, type-checker, formatter or test-runner configuration.
        case lintConfig = "lint-config"
        /// Fewer test functions in a test file than before, or a test file deleted.
        case testDeleted = "test-deleted"
        /// An added skip or expected-failure marker in a test file.
        case testSkipped = "test-skipped"

        /// What the rule forbids, for messages.
        public var summary: String {
            switch self {
            case .noqa: return "a `# noqa` suppression"
            case .typeIgnore: return "a `# type: ignore` suppression"
            case .pyrightIgnore: return "a `# pyright:` suppression"
            case .mypyIgnore: return "a `# mypy:` suppression"
            case .pylintDisable: return "a `# pylint: disable` suppression"
            case .shellcheckDisable: return "a `# shellcheck disable` suppression"
            case .yamllintDisable: return "a `# yamllint disable` suppression"
            case .eslintDisable: return "an `eslint-disable` suppression"
            case .tsIgnore: return "a `@ts-ignore` suppression"
            case .nosec: return "a `# nosec` suppression"
            case .fmtOff: return "a `# fmt: off` formatter exclusion"
            case .lintConfig: return "an edit to lint or type-checker configuration"
            case .testDeleted: return "deleted tests"
            case .testSkipped: return "a skipped test"
            }
        }

        public static func < (lhs: Rule, rhs: Rule) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// Rules that are not enforced.
    public var allowed: Set<Rule>

    public init(allowed: Set<Rule> = []) {
        self.allowed = allowed
    }

    /// Base names of configuration files no fix may change (in any folder).
    public static let configurationFiles: Set<String> = [
        "pyproject.toml", "ruff.toml", ".ruff.toml", "mypy.ini", ".mypy.ini", "setup.cfg", "tox.ini", ".flake8",
        ".pylintrc", "pylintrc", ".shellcheckrc", "pyrightconfig.json", ".pre-commit-config.yaml", ".editorconfig",
        "pytest.ini", ".yamllint", ".yamllint.yaml", ".yamllint.yml", "tsconfig.json",
        ".eslintrc", ".eslintrc.js", ".eslintrc.cjs", ".eslintrc.json", ".eslintrc.yml", ".eslintrc.yaml",
        "eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts",
    ]

    /// The violations of the enforced rules, file-level ones first, then by line.
    ///
    /// `before` is empty for a new file; `after` is empty for a deleted one. `otherChangedPaths`
    /// are checked only by name (configuration files); their contents are the scope check's job.
    public func check(path: String, before: String, after: String, otherChangedPaths: [String] = []) -> [GateViolation] {
        var violations: [GateViolation] = []
        for changed in [path] + otherChangedPaths where Self.isConfiguration(changed) && (changed != path || before != after) {
            violations.append(GateViolation(rule: .lintConfig, path: changed, line: nil, text: ""))
        }
        let beforeLines = Self.lines(before)
        let afterLines = Self.lines(after)
        violations += Self.addedMarkers(Self.suppressions, before: beforeLines, after: afterLines, path: path)
        if Self.isTestFile(path) || (path as NSString).lastPathComponent == "conftest.py" {
            let (testsBefore, testsAfter) = (Self.testCount(beforeLines, path: path), Self.testCount(afterLines, path: path))
            if testsAfter < testsBefore {
                let what = after.isEmpty ? "the test file was deleted" : "\(testsBefore - testsAfter) of \(testsBefore) tests removed"
                violations.append(GateViolation(rule: .testDeleted, path: path, line: nil, text: what))
            }
            violations += Self.addedMarkers(Self.skipMarkers(for: path), before: beforeLines, after: afterLines, path: path)
        }
        return violations.filter { !allowed.contains($0.rule) }
            .sorted { ($0.line ?? 0, $0.rule, $0.path) < ($1.line ?? 0, $1.rule, $1.path) }
    }

    // MARK: Files

    public static func isConfiguration(_ path: String) -> Bool {
        configurationFiles.contains((path as NSString).lastPathComponent)
    }

    /// `test_*.py`, `*_test.py`, `*.bats`, `test_*.sh`, `*_test.sh`, or any Python or shell file
    /// under a `tests`/`test` folder.
    public static func isTestFile(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension
        let stem = (name as NSString).deletingPathExtension
        guard ["py", "sh", "bash", "bats"].contains(ext) else { return false }
        if ext == "bats" || stem.hasPrefix("test_") || stem.hasSuffix("_test") { return true }
        return path.split(separator: "/").dropLast().contains { $0 == "tests" || $0 == "test" }
    }

    // MARK: Markers

    /// Regex is not Sendable, so markers are made on use (the literals are compiled at build time).
    struct Marker {
        let rule: Rule
        let pattern: Regex<Substring>
        /// Text every match contains, checked first: most lines have none, and a regex match per
        /// line and marker was most of the gate's cost.
        var hint: String?

        /// `\b` is a simple word boundary (between a word character and anything else). Swift's
        /// default follows Unicode's word rules, where a colon between letters joins them into one
        /// word: `#noqa:F821` then had no boundary after `noqa` and passed the gate.
        init(rule: Rule, pattern: Regex<Substring>, hint: String? = nil) {
            self.rule = rule
            self.pattern = pattern.wordBoundaryKind(.simple)
            self.hint = hint
        }

        /// Whether `line` may hold a match (false means it cannot).
        func mayMatch(_ line: String) -> Bool {
            guard let hint else { return true }
            if hint == "#" { return line.utf8.contains(UInt8(ascii: "#")) }
            return line.contains(hint)
        }
    }

    static var suppressions: [Marker] {
        [
            Marker(rule: .noqa, pattern: #/(?i)#\s*(?:(?:ruff|flake8)\s*:\s*)?noqa\b|#\s*ruff\s*:\s*disable\b/#, hint: "#"),
            Marker(rule: .typeIgnore, pattern: #/(?i)#\s*type\s*:\s*ignore\b|#\s*pyre-(?:ignore|fixme)\b/#, hint: "#"),
            Marker(rule: .pyrightIgnore, pattern: #/(?i)#\s*pyright\s*:\s*(?:ignore\b|basic\b|\w+\s*=\s*(?:false|none)\b)/#, hint: "#"),
            Marker(rule: .mypyIgnore, pattern: #/(?i)#\s*mypy\s*:\s*(?:ignore-errors|disable-error-code)\b/#, hint: "#"),
            Marker(rule: .pylintDisable, pattern: #/(?i)#\s*pylint\s*:\s*(?:disable|skip-file)\b/#, hint: "#"),
            Marker(rule: .shellcheckDisable, pattern: #/(?i)#\s*shellcheck\s+disable\b/#, hint: "#"),
            Marker(rule: .yamllintDisable, pattern: #/(?i)#\s*yamllint\s+disable\b/#, hint: "#"),
            Marker(rule: .eslintDisable, pattern: #/eslint-disable\b/#, hint: "eslint-disable"),
            Marker(rule: .tsIgnore, pattern: #/@ts-(?:ignore|expect-error|nocheck)\b/#, hint: "@ts-"),
            Marker(rule: .nosec, pattern: #/(?i)#\s*nosec\b/#, hint: "#"),
            Marker(rule: .fmtOff, pattern: #/(?i)#\s*fmt\s*:\s*(?:off|skip)\b/#, hint: "#"),
        ]
    }

    static var pythonSkips: Marker {
        Marker(
            rule: .testSkipped,
            pattern:
                #/@pytest\.mark\.(?:skip|skipif|xfail)\b|\bpytest\.(?:skip|xfail|importorskip)\s*\(|@unittest\.(?:skip|skipIf|skipUnless|expectedFailure)\b|^\s*@(?:skip|skipIf|skipUnless|expectedFailure)\b|\.skipTest\s*\(|\bSkipTest\s*\(|__test__\s*=\s*False/#
        )
    }
    static var batsSkips: Marker { Marker(rule: .testSkipped, pattern: #/^\s*skip\b/#) }

    static func skipMarkers(for path: String) -> [Marker] {
        (path as NSString).pathExtension == "py" ? [pythonSkips] : [batsSkips]
    }

    /// Markers present in `after` more often than in `before`, counted by the marked text from the
    /// marker to the end of its line. When a key gained copies, lines that existed before are
    /// matched to the old copies first, so the new lines are the ones blamed.
    static func addedMarkers(_ markers: [Marker], before: [String], after: [String], path: String) -> [GateViolation] {
        func occurrences(_ lines: [String]) -> [(key: String, rule: Rule, line: Int)] {
            var found: [(key: String, rule: Rule, line: Int)] = []
            for (index, line) in lines.enumerated() {
                for marker in markers where marker.mayMatch(line) {
                    guard let match = line.firstMatch(of: marker.pattern) else { continue }
                    let key = line[match.range.lowerBound...].split(whereSeparator: \.isWhitespace).joined(separator: " ")
                    found.append((marker.rule.rawValue + "\u{1f}" + key, marker.rule, index + 1))
                }
            }
            return found
        }
        var remaining = Dictionary(occurrences(before).map { ($0.key, 1) }, uniquingKeysWith: +)
        let beforeLines = Set(before.map(normalized))
        let candidates = occurrences(after).sorted {
            (beforeLines.contains(normalized(after[$0.line - 1])) ? 0 : 1, $0.line)
                < (beforeLines.contains(normalized(after[$1.line - 1])) ? 0 : 1, $1.line)
        }
        var violations: [GateViolation] = []
        for candidate in candidates {
            if let count = remaining[candidate.key], count > 0 {
                remaining[candidate.key] = count - 1
                continue
            }
            violations.append(
                GateViolation(
                    rule: candidate.rule, path: path, line: candidate.line,
                    text: after[candidate.line - 1].trimmingCharacters(in: .whitespaces)))
        }
        return violations
    }

    static func normalized(_ line: String) -> String {
        line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func lines(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        return text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
    }

    // MARK: Tests

    /// Test functions: Python `def test…(` (also async, also methods), shell `test…()` functions,
    /// bats `@test`.
    static func testCount(_ lines: [String], path: String) -> Int {
        let pattern: Regex<Substring> =
            (path as NSString).pathExtension == "py"
            ? #/^\s*(?:async\s+)?def\s+test\w*\s*\(/#
            : #/^\s*(?:@test\b|(?:function\s+)?test\w*\s*\(\s*\))/#
        return lines.count(where: { $0.firstMatch(of: pattern) != nil })
    }
}

/// One way a fix broke the gate.
public struct GateViolation: Sendable, Hashable, CustomStringConvertible {
    public var rule: SuppressionGate.Rule
    public var path: String
    /// The line in the fixed file, for a marker; nil for a file-level violation.
    public var line: Int?
    /// The offending line, or a short account of a file-level violation.
    public var text: String

    public init(rule: SuppressionGate.Rule, path: String, line: Int?, text: String) {
        self.rule = rule
        self.path = path
        self.line = line
        self.text = text
    }

    /// `a.py:3: added a `# noqa` suppression: import os  # noqa (fix the cause; …)`.
    public var description: String {
        let location = path + (line.map { ":\($0)" } ?? "")
        let allow = "allow with verify.gate_allow = [\"\(rule.rawValue)\"]"
        switch rule {
        case .lintConfig:
            return "\(location): \(rule.summary) (\(path) must not change to fix lint errors; \(allow))"
        case .testDeleted:
            return "\(location): \(rule.summary): \(text) (\(allow))"
        case .testSkipped:
            return "\(location): added \(rule.summary): \(text) (make the test pass instead; \(allow))"
        default:
            return "\(location): added \(rule.summary): \(text) (fix the cause instead; \(allow))"
        }
    }
}
