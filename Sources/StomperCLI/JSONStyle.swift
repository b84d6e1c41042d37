import Foundation
import StomperAgents
import StomperCore
import StomperGit
import StomperLedger
import StomperQuality

/// The one style of every `--json` output (docs/JSON.md): snake_case keys, ISO 8601 UTC times,
/// slashes not escaped, identifiers as plain strings, errors as `{"error": {"code", "message"}}`.
///
/// Typed outputs get there through `JSONEncoder.convertToSnakeCase`; documents built from ledger
/// text (event data, stored outcomes) pass through `normalized`, which maps what older records and
/// library types wrote (camelCase keys, epoch-millisecond times, `{"value": …}` wrappers).
enum JSONStyle {
    /// `value` with camelCase keys in snake_case, epoch milliseconds under time keys as ISO 8601
    /// strings, and `{"value": …}` keys and tokens as the bare value. Keys that are not identifiers
    /// (paths, rule codes such as `F401`, setting names such as `fix.parallel`) are left as they are.
    static func normalized(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (key, item) in object {
                let name = snakeCase(key)
                var item = normalized(item)
                if isTimeKey(name), let milliseconds = epochMilliseconds(item) {
                    item = Timestamp.string(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
                }
                // Library wrappers that encode as `{"value": …}` (IdempotencyKey before it encoded
                // as a string, FencingToken): printed as the bare value, as `locks` prints tokens.
                if Self.wrappedKeys.contains(name), let wrapped = item as? [String: Any], wrapped.count == 1, let bare = wrapped["value"] {
                    item = bare
                }
                result[name] = item
            }
            return result
        case let array as [Any]:
            return array.map(normalized)
        default:
            return value
        }
    }

    static let wrappedKeys: Set<String> = ["key", "token"]

    /// `runID` → `run_id`, `resourceClass` → `resource_class`; anything that is not a camelCase
    /// identifier (has a character other than ASCII letters and digits, or starts upper-case) is
    /// returned unchanged.
    static func snakeCase(_ key: String) -> String {
        guard let first = key.unicodeScalars.first, ("a"..."z").contains(first),
            key.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }),
            key.unicodeScalars.contains(where: { ("A"..."Z").contains($0) })
        else { return key }
        var result = ""
        let characters = Array(key)
        for (index, character) in characters.enumerated() {
            if character.isUppercase {
                let previous = index > 0 ? characters[index - 1] : nil
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                // A new word starts after a lower-case letter or digit, or where an acronym ends (`IDValue`).
                if previous.map({ $0.isLowercase || $0.isNumber }) == true || (previous?.isUppercase == true && next?.isLowercase == true) {
                    result += "_"
                }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func isTimeKey(_ key: String) -> Bool {
        key == "timestamp" || key.hasSuffix("_at")
    }

    /// An integer that can only be epoch milliseconds (after 2001-09-09; never a boolean).
    static func epochMilliseconds(_ value: Any) -> Int64? {
        guard let number = value as? NSNumber else { return nil }
        let milliseconds = number.int64Value
        guard Double(milliseconds) == number.doubleValue, milliseconds >= 1_000_000_000_000 else { return nil }
        return milliseconds
    }

    /// The `--json` form of an error: `{"error": {"code": …, "message": …}}`.
    static func error(_ error: any Error) -> [String: Any] {
        ["error": ["code": code(error), "message": Failure.message(error)]]
    }

    /// A stable snake_case code per kind of failure (docs/JSON.md lists them).
    static func code(_ error: any Error) -> String {
        switch error {
        case let error as RunSelectionError: return error.code.rawValue
        case is CLIError: return "invalid_input"
        case let error as CoreError where error.code.isInvalidInput: return "invalid_input"
        case let error as GitError where error.code == .notARepository: return "not_a_repository"
        case let error as GitError: return "git_" + snakeCase(error.code.description)
        case let error as LedgerError: return "ledger_" + snakeCase(error.code.description)
        case let error as QualityError: return "linter_" + snakeCase(error.code.description)
        case let error as CoreError: return "run_" + snakeCase(error.code.description)
        case let error as AgentError: return "agent_" + snakeCase(error.code.description)
        default: return "internal_error"
        }
    }
}
