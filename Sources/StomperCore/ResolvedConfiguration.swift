import Foundation
internal import TOMLKit

/// Where a setting's value came from, lowest precedence first.
public enum SettingSource: String, Comparable, Sendable {
    case defaults = "default"
    /// The default under CI (`fix.mode = "batch"`), which a file, variable or flag overrides.
    case ciDefault = "default in CI"
    case file = "stomper.toml"
    /// The `[tool.stomper]` table of `pyproject.toml`, read when there is no `stomper.toml`.
    case pyproject = "pyproject.toml [tool.stomper]"
    case environment = "environment"
    case flag = "flag"

    private var rank: Int {
        switch self {
        case .defaults: return 0
        case .ciDefault: return 1
        case .file, .pyproject: return 2
        case .environment: return 3
        case .flag: return 4
        }
    }
    public static func < (lhs: SettingSource, rhs: SettingSource) -> Bool { lhs.rank < rhs.rank }
}

/// The configuration after merging defaults < stomper.toml < STOMPER_* < flags, with the source
/// of every value (for `stomper config dump`). Loading it is the only place stomper reads
/// configuration sources; everything after takes the finished `StomperConfiguration`.
public struct ResolvedConfiguration: Sendable {
    public var configuration = StomperConfiguration()
    public var sources: [String: SettingSource] = [:]
    public var file: String?
    /// Whether `file` is a `stomper.toml` or a `pyproject.toml` whose `[tool.stomper]` was read.
    public var fileSource: SettingSource = .file
    /// What the caller should show the user: ignored variables, a table shadowed by stomper.toml.
    public var warnings: [String] = []

    public init() {}

    /// A configuration that was already resolved (a run's stored settings).
    public init(configuration: StomperConfiguration) {
        self.configuration = configuration
    }

    /// Loads the layers. `flags` are already-typed values from the command line (or another
    /// caller's options), checked here like every other layer.
    public static func load(
        root: String, explicitFile: String?, environment: [String: String],
        flags: [String: SettingValue]
    ) throws -> ResolvedConfiguration {
        var resolved = ResolvedConfiguration()
        for setting in Settings.all { resolved.sources[setting.key] = .defaults }
        // CI has nobody to wait for: lock waits are batch ones unless a layer below sets the mode.
        if CIEnvironment(environment: environment).isCI { resolved.set("fix.mode", .string("batch"), from: .ciDefault) }
        if let (path, source) = try configFile(root: root, explicitFile: explicitFile, warnings: &resolved.warnings) {
            resolved.file = path
            resolved.fileSource = source
            let (values, tools) = try fileValues(path, pyproject: source == .pyproject)
            for (key, value) in values {
                resolved.set(key, value, from: source)
            }
            resolved.configuration.sarif = tools.sarif
            resolved.configuration.patterns = tools.patterns
        }
        let known = Set(Settings.all.map(\.environmentName))
        // STOMPER_CI switches CI detection (CIEnvironment); it is not a setting.
        for (name, text) in environment where name.hasPrefix("STOMPER_") && name != "STOMPER_CI" {
            guard known.contains(name), let setting = Settings.all.first(where: { $0.environmentName == name }) else {
                resolved.warnings.append("ignoring unknown environment variable \(name) (known: \(known.sorted().joined(separator: ", ")))")
                continue
            }
            resolved.set(setting.key, try setting.parse(environment: text), from: .environment)
        }
        try resolved.apply(flags)
        return resolved
    }

    /// Sets `flags` (already typed) over the loaded layers, each checked like a file's value.
    /// Unknown keys are ignored, as the command line only passes keys of the table.
    public mutating func apply(_ flags: [String: SettingValue], source: String = "the command line") throws {
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) {
            guard let setting = Settings.setting(key) else { continue }
            set(key, try setting.validate(value, source: source), from: .flag)
        }
    }

    /// The configuration file to read, if any: `--config FILE` (a `pyproject.toml` by that name
    /// is read for its `[tool.stomper]`), else `stomper.toml` at the root, else the root's
    /// `pyproject.toml` when it has a `[tool.stomper]` table. `stomper.toml` wins when both
    /// exist, with a warning that the table is ignored.
    public static func configFile(root: String, explicitFile: String?, warnings: inout [String]) throws -> (String, SettingSource)? {
        if let explicitFile {
            guard FileManager.default.fileExists(atPath: explicitFile) else {
                throw CoreError(.invalidSetting, "config file \(explicitFile) does not exist: check the --config path")
            }
            let isPyproject = (explicitFile as NSString).lastPathComponent == "pyproject.toml"
            return (explicitFile, isPyproject ? .pyproject : .file)
        }
        let stomper = root + "/stomper.toml"
        let pyproject = root + "/pyproject.toml"
        if FileManager.default.fileExists(atPath: stomper) {
            if (try? pyprojectHasTable(pyproject)) == true {
                warnings.append(
                    "\(pyproject) has a [tool.stomper] table, which is ignored: \(stomper) takes precedence "
                        + "(move the settings into one of them)")
            }
            return (stomper, .file)
        }
        return try pyprojectHasTable(pyproject) ? (pyproject, .pyproject) : nil
    }

    /// Whether `pyproject.toml` at `path` has a `[tool.stomper]` table. A file that does not
    /// mention stomper is not parsed: a TOML error in it is the other tools' business.
    public static func pyprojectHasTable(_ path: String) throws -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("stomper") else { return false }
        return try parse(text, path: path)["tool"]?.table?["stomper"]?.table != nil
    }

    private static func parse(_ text: String, path: String) throws -> TOMLTable {
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw CoreError(.invalidSetting, "\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        }
    }

    public mutating func set(_ key: String, _ value: SettingValue, from source: SettingSource) {
        guard let setting = Settings.setting(key) else { return }
        setting.write(&configuration, value)
        sources[key] = source
    }

    /// Reads `stomper.toml` (or `[tool.stomper]` of a `pyproject.toml`), rejecting unknown
    /// sections and keys, and values of the wrong type.
    static func fileValues(_ file: String, pyproject: Bool = false) throws -> ([(String, SettingValue)], QualityTools) {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw CoreError(.invalidSetting, "cannot read \(file): \(error.localizedDescription)")
        }
        var table = try parse(text, path: file)
        // Messages name the table, so "unknown key … of pyproject.toml [tool.stomper]".
        let path = pyproject ? file + " [tool.stomper]" : file
        if pyproject {
            guard let stomper = table["tool"]?.table?["stomper"]?.table else {
                throw CoreError(.invalidSetting, "\(file) has no [tool.stomper] table: add one, or run `stomper init --pyproject`")
            }
            table = stomper
        }
        var values: [(String, SettingValue)] = []
        var tools = QualityTools()
        if let quality = table["quality"] {
            tools = try QualityTools(quality, path: path)
        }
        try collect(table, prefix: "", path: path, into: &values)
        return (values, tools)
    }

    private static func collect(_ table: TOMLTable, prefix: String, path: String, into values: inout [(String, SettingValue)]) throws {
        for key in table.keys.sorted() where !(prefix.isEmpty && key == "quality") {
            let fullKey = prefix.isEmpty ? key : prefix + "." + key
            guard let value = table[key] else { continue }
            if let nested = value.table {
                guard Settings.all.contains(where: { $0.key.hasPrefix(fullKey + ".") }) else {
                    throw CoreError(.invalidSetting, "unknown section [\(fullKey)] in \(path): known sections are \(knownSections)")
                }
                try collect(nested, prefix: fullKey, path: path, into: &values)
                continue
            }
            guard let setting = Settings.setting(fullKey) else {
                let section = prefix.isEmpty ? "the top level" : "[\(prefix)]"
                let known = Settings.all.filter { $0.section == prefix }.map(\.name)
                throw CoreError(
                    .invalidSetting,
                    "unknown key \"\(key)\" in \(section) of \(path)"
                        + (known.isEmpty ? "" : ": known keys there are \(known.joined(separator: ", "))")
                        + "; see Config/stomper.toml for every setting")
            }
            let parsed: SettingValue
            if let number = value.int, value.type == .int {
                parsed = .int(number)
            } else if let flag = value.bool, value.type == .bool {
                parsed = .bool(flag)
            } else if let string = value.string, value.type == .string {
                parsed = .string(string)
            } else if let array = value.array {
                var strings: [String] = []
                for element in array {
                    guard let string = element.string else {
                        throw CoreError(.invalidSetting, "\(fullKey) in \(path) has the wrong type: expected \(setting.typeName)")
                    }
                    strings.append(string)
                }
                parsed = .strings(strings)
            } else {
                throw CoreError(.invalidSetting, "\(fullKey) in \(path) has the wrong type: expected \(setting.typeName)")
            }
            values.append((fullKey, try setting.validate(parsed, source: path)))
        }
    }

    static var knownSections: String {
        Array(Set(Settings.all.map { "[\($0.section)]" })).sorted().joined(separator: ", ")
    }
}
