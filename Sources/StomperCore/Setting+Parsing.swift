import Foundation

/// Checking and parsing values for a setting, from a file, a variable or a flag.
extension Setting {
    /// The error for a bad value of this setting: `CoreError.invalidSetting` naming the key.
    private func invalid(_ message: String) -> CoreError {
        CoreError(.invalidSetting, message, subject: key)
    }

    /// Checks a value's type and range; the message names the key, the source and the fix.
    public func validate(_ value: SettingValue, source: String) throws -> SettingValue {
        switch (kind, value) {
        case (.int(let range), .int(let number)):
            guard range.contains(number) else {
                throw invalid("\(key) = \(number) in \(source) is out of range: use a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        case (.strings, .strings(let values)) where key == "agent.chain":
            let known = StomperConfiguration.AgentKind.allCases.map(\.rawValue)
            if let bad = values.first(where: { !known.contains($0) }) {
                throw invalid("agent.chain in \(source) names an unknown agent \"\(bad)\": use \(known.joined(separator: ", "))")
            }
            return value
        case (.strings, .strings(let values)) where key == "linters.enabled":
            let known = LinterKind.allCases.map(\.rawValue)
            if let bad = values.first(where: { !known.contains($0) }) {
                throw invalid(
                    "linters.enabled in \(source) names an unknown linter \"\(bad)\": use \(known.joined(separator: ", ")), "
                        + "or add the tool as [[quality.sarif]] or [[quality.pattern]]")
            }
            return value
        case (.bool, .bool), (.string, .string), (.strings, .strings):
            return value
        case (.choice(let choices), .string(let text)):
            guard choices.contains(text) else {
                throw invalid("\(key) = \"\(text)\" in \(source) is not valid: use one of \(choices.joined(separator: ", "))")
            }
            return value
        default:
            throw invalid("\(key) in \(source) has the wrong type: expected \(typeName)")
        }
    }

    /// Parses an environment variable's text as this setting's type.
    public func parse(environment text: String) throws -> SettingValue {
        let source = "environment variable \(environmentName)"
        switch kind {
        case .int:
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw invalid("\(source)=\(text) is not an integer")
            }
            return try validate(.int(number), source: source)
        case .bool:
            switch text.lowercased() {
            case "1", "true", "yes", "on": return .bool(true)
            case "0", "false", "no", "off": return .bool(false)
            default: throw invalid("\(source)=\(text) is not a boolean: use true or false")
            }
        case .string, .choice:
            return try validate(.string(text), source: source)
        case .strings:
            guard let data = text.data(using: .utf8), let array = try? JSONDecoder().decode([String].self, from: data) else {
                throw invalid("\(source) must be a JSON array of strings, e.g. [\"a\", \"b\"]")
            }
            return try validate(.strings(array), source: source)
        }
    }
}
