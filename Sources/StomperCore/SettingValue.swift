import Foundation

/// A value as written in a config file, an environment variable or a flag.
public enum SettingValue: Equatable, Sendable {
    case int(Int)
    case bool(Bool)
    case string(String)
    case strings([String])

    public var toml: String {
        switch self {
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .string(let value): return Self.quoted(value)
        case .strings(let values): return "[" + values.map(Self.quoted).joined(separator: ", ") + "]"
        }
    }

    /// A TOML basic string. JSON's string escapes are all valid in TOML basic strings, so the
    /// canonical JSON encoding serves.
    public static func quoted(_ text: String) -> String {
        CanonicalJSON.string(text).text
    }

    public var json: Any {
        switch self {
        case .int(let value): return value
        case .bool(let value): return value
        case .string(let value): return value
        case .strings(let values): return values
        }
    }

    /// The value as it enters `StomperConfiguration.resultHash`.
    var canonical: CanonicalJSON {
        switch self {
        case .int(let value): return .int(value)
        case .bool(let value): return .bool(value)
        case .string(let value): return .string(value)
        case .strings(let values): return .array(values.map { .string($0) })
        }
    }
}
