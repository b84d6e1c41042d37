import Foundation

/// One rule of `verify.test_map`: `REGEX -> TEMPLATE`. The regular expression must match the whole
/// source path (relative to the repository root); the template names the test file, `$1`, `$2` …
/// standing for the expression's groups (NSRegularExpression's template syntax).
///
/// `src/(.*/)?([^/]+)\.py -> tests/$1test_$2.py` maps `src/pkg/x.py` to `tests/pkg/test_x.py`.
public struct TestMapRule: Sendable, Hashable {
    public let pattern: String
    public let template: String

    /// The default rules: `tests/test_<name>.py` at the root, then `test_<name>.py` beside the file.
    public static let defaults = [#"(.*/)?([^/]+)\.py -> tests/test_$2.py"#, #"(.*/)?([^/]+)\.py -> $1test_$2.py"#]

    /// Throws `CoreError(.badConfiguration)` when `text` has no ` -> ` or its expression does not compile.
    public init(_ text: String) throws {
        let parts = text.components(separatedBy: " -> ")
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw CoreError(
                .badConfiguration, "verify.test_map: \"\(text)\" is not `REGEX -> TEMPLATE`, e.g. \"src/(.*/)?([^/]+)\\\\.py -> tests/test_$2.py\"")
        }
        do {
            _ = try NSRegularExpression(pattern: parts[0])
        } catch {
            throw CoreError(.badConfiguration, "verify.test_map: \"\(parts[0])\" is not a regular expression")
        }
        pattern = parts[0]
        template = parts[1]
    }

    /// The test file for `path`, or nil when the expression does not match all of it.
    public func apply(to path: String) -> String? {
        guard let expression = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return nil }
        let range = NSRange(path.startIndex..., in: path)
        guard let match = expression.firstMatch(in: path, range: range) else { return nil }
        return expression.replacementString(for: match, in: path, offset: 0, template: template)
    }
}
