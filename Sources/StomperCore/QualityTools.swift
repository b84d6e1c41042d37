internal import TOMLKit

/// The `[[quality.sarif]]` and `[[quality.pattern]]` tables of stomper.toml: tools beyond the
/// built-in linters, each enabled by being listed.
///
/// ```toml
/// [[quality.sarif]]
/// name = "semgrep"
/// command = ["semgrep", "scan", "--sarif", "--quiet"]   # or: file = "reports/tool.sarif"
/// version_command = ["semgrep", "--version"]
///
/// [[quality.pattern]]
/// name = "yamllint"
/// command = ["yamllint", "-f", "parsable"]
/// pattern = '^(?<file>[^:]+):(?<line>\d+):(?<col>\d+): \[\w+\] (?<message>.*) \((?<code>[^)]+)\)$'
/// version_command = ["yamllint", "--version"]
/// ```
struct QualityTools: Sendable {
    var sarif: [StomperConfiguration.SarifSource] = []
    var patterns: [StomperConfiguration.PatternSource] = []

    init() {}

    init(_ value: any TOMLValueConvertible, path: String) throws {
        guard let table = value.table else {
            throw CoreError(.invalidSetting, "[quality] in \(path) must hold [[quality.sarif]] and [[quality.pattern]] tables")
        }
        for key in table.keys.sorted() {
            guard key == "sarif" || key == "pattern" else {
                throw CoreError(.invalidSetting, "unknown key \"\(key)\" in [quality] of \(path): use [[quality.sarif]] or [[quality.pattern]]")
            }
            guard let array = table[key]?.array else {
                throw CoreError(.invalidSetting, "quality.\(key) in \(path) must be an array of tables: write [[quality.\(key)]]")
            }
            for (index, element) in array.enumerated() {
                let place = "[[quality.\(key)]] number \(index + 1) in \(path)"
                guard let entry = element.table else { throw CoreError(.invalidSetting, "\(place) is not a table") }
                let fields = try Self.fields(
                    entry, place: place,
                    allowed: key == "sarif"
                        ? ["name", "command", "file", "version_command"]
                        : ["name", "command", "pattern", "version_command"])
                guard case .string(let name)? = fields["name"], !name.isEmpty else {
                    throw CoreError(.invalidSetting, "\(place) needs a name, e.g. name = \"semgrep\"")
                }
                let command = Self.strings(fields["command"])
                let version = Self.strings(fields["version_command"])
                if key == "sarif" {
                    let file = Self.string(fields["file"])
                    guard command.isEmpty != file.isEmpty else {
                        throw CoreError(
                            .invalidSetting, "\(place) (\(name)) needs exactly one of command = [...] (prints SARIF) or file = \"path.sarif\"")
                    }
                    sarif.append(.init(name: name, command: command, file: file, versionCommand: version))
                } else {
                    guard !command.isEmpty else {
                        throw CoreError(.invalidSetting, "\(place) (\(name)) needs command = [...], the tool to run (the paths are appended)")
                    }
                    let pattern = Self.string(fields["pattern"])
                    patterns.append(.init(name: name, command: command, pattern: pattern, versionCommand: version))
                }
            }
        }
        let names = sarif.map(\.name) + patterns.map(\.name)
        if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw CoreError(.invalidSetting, "two [[quality.*]] tools in \(path) are named \"\(duplicate)\": give each a unique name")
        }
    }

    private static func strings(_ value: SettingValue?) -> [String] {
        if case .strings(let values)? = value { return values }
        return []
    }

    private static func string(_ value: SettingValue?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    /// Reads a table's fields as strings or string arrays, refusing unknown keys and other types.
    private static func fields(_ table: TOMLTable, place: String, allowed: [String]) throws -> [String: SettingValue] {
        var fields: [String: SettingValue] = [:]
        for key in table.keys {
            guard allowed.contains(key) else {
                throw CoreError(.invalidSetting, "unknown key \"\(key)\" in \(place): known keys are \(allowed.joined(separator: ", "))")
            }
            let value = table[key]!
            if value.type == .string, let string = value.string {
                fields[key] = .string(string)
            } else if let array = value.array {
                var strings: [String] = []
                for element in array {
                    guard let string = element.string else { throw CoreError(.invalidSetting, "\(key) in \(place) must be an array of strings") }
                    strings.append(string)
                }
                fields[key] = .strings(strings)
            } else {
                throw CoreError(.invalidSetting, "\(key) in \(place) must be a string or an array of strings")
            }
        }
        return fields
    }
}
