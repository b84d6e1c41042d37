import Foundation
import StomperCoordination
import StomperCore
import StomperDocs
import TOMLKit

/// Where a setting's value came from, lowest precedence first.
enum SettingSource: String, Comparable {
    case defaults = "default"
    case file = "stomper.toml"
    case environment = "environment"
    case flag = "flag"

    private var rank: Int {
        switch self {
        case .defaults: return 0
        case .file: return 1
        case .environment: return 2
        case .flag: return 3
        }
    }
    static func < (lhs: SettingSource, rhs: SettingSource) -> Bool { lhs.rank < rhs.rank }
}

/// A value as written in a config file, an environment variable or a flag.
enum SettingValue: Equatable, Sendable {
    case int(Int)
    case bool(Bool)
    case string(String)
    case strings([String])

    var toml: String {
        switch self {
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .string(let value): return Self.quoted(value)
        case .strings(let values): return "[" + values.map(Self.quoted).joined(separator: ", ") + "]"
        }
    }

    /// A TOML basic string. JSON's string escapes are all valid in TOML basic strings, so the
    /// canonical JSON encoding serves.
    static func quoted(_ text: String) -> String {
        CanonicalJSON.string(text).text
    }

    var json: Any {
        switch self {
        case .int(let value): return value
        case .bool(let value): return value
        case .string(let value): return value
        case .strings(let values): return values
        }
    }
}

/// One configuration key: its name in `stomper.toml` (`fix.parallel`), its environment variable
/// (`STOMPER_FIX_PARALLEL`), its type, how it is checked and where it goes in the configuration.
struct Setting: Sendable {
    enum Kind: Sendable { case int(ClosedRange<Int>), bool, string, choice([String]), strings }

    let key: String
    let kind: Kind
    let help: String
    let read: @Sendable (StomperConfiguration) -> SettingValue
    let write: @Sendable (inout StomperConfiguration, SettingValue) -> Void

    var environmentName: String {
        "STOMPER_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    var section: String { String(key[..<key.lastIndex(of: ".")!]) }
    var name: String { String(key[key.index(after: key.lastIndex(of: ".")!)...]) }

    /// Checks a value's type and range; the message names the key, the source and the fix.
    func validate(_ value: SettingValue, source: String) throws -> SettingValue {
        switch (kind, value) {
        case (.int(let range), .int(let number)):
            guard range.contains(number) else {
                throw ConfigError("\(key) = \(number) in \(source) is out of range: use a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        case (.bool, .bool), (.string, .string), (.strings, .strings):
            return value
        case (.choice(let choices), .string(let text)):
            guard choices.contains(text) else {
                throw ConfigError("\(key) = \"\(text)\" in \(source) is not valid: use one of \(choices.joined(separator: ", "))")
            }
            return value
        default:
            throw ConfigError("\(key) in \(source) has the wrong type: expected \(typeName)")
        }
    }

    var typeName: String {
        switch kind {
        case .int: return "an integer"
        case .bool: return "true or false"
        case .string: return "a string"
        case .choice(let choices): return "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        case .strings: return "an array of strings"
        }
    }

    /// Parses an environment variable's text as this setting's type.
    func parse(environment text: String) throws -> SettingValue {
        let source = "environment variable \(environmentName)"
        switch kind {
        case .int:
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError("\(source)=\(text) is not an integer")
            }
            return try validate(.int(number), source: source)
        case .bool:
            switch text.lowercased() {
            case "1", "true", "yes", "on": return .bool(true)
            case "0", "false", "no", "off": return .bool(false)
            default: throw ConfigError("\(source)=\(text) is not a boolean: use true or false")
            }
        case .string, .choice:
            return try validate(.string(text), source: source)
        case .strings:
            guard let data = text.data(using: .utf8), let array = try? JSONDecoder().decode([String].self, from: data) else {
                throw ConfigError("\(source) must be a JSON array of strings, e.g. [\"a\", \"b\"]")
            }
            return .strings(array)
        }
    }
}

/// A configuration problem: exit status 2, with a message that says what to change.
struct ConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Settings {
    static let all: [Setting] = [
        Setting(key: "fix.parallel", kind: .int(1...64), help: "files worked on at once",
                read: { .int($0.maxParallelFiles) }, write: { if case .int(let v) = $1 { $0.maxParallelFiles = v } }),
        Setting(key: "fix.agent", kind: .choice(StomperConfiguration.AgentKind.allCases.map(\.rawValue)),
                help: "which agent fixes files", read: { .string($0.agent.rawValue) },
                write: { if case .string(let v) = $1, let kind = StomperConfiguration.AgentKind(rawValue: v) { $0.agent = kind } }),
        Setting(key: "fix.max_attempts", kind: .int(1...20), help: "attempts per file",
                read: { .int($0.maxAttempts) }, write: { if case .int(let v) = $1 { $0.maxAttempts = v } }),
        Setting(key: "fix.land_partial", kind: .bool, help: "commit fixes that leave some diagnostics",
                read: { .bool($0.landPartial) }, write: { if case .bool(let v) = $1 { $0.landPartial = v } }),
        Setting(key: "fix.allowed_paths", kind: .strings, help: "extra paths a fix may touch",
                read: { .strings($0.allowedPaths) }, write: { if case .strings(let v) = $1 { $0.allowedPaths = v } }),
        Setting(key: "fix.mode", kind: .choice(["interactive", "batch"]), help: "lock waits for people or for CI",
                read: { .string($0.interactive ? "interactive" : "batch") },
                write: { if case .string(let v) = $1 { $0.interactive = v == "interactive" } }),
        Setting(key: "agent.timeout_sec", kind: .int(1...86_400), help: "longest one agent attempt may run",
                read: { .int($0.agentTimeoutSeconds) }, write: { if case .int(let v) = $1 { $0.agentTimeoutSeconds = v } }),
        Setting(key: "agent.command", kind: .strings, help: "argv template of the command agent",
                read: { .strings($0.command) }, write: { if case .strings(let v) = $1 { $0.command = v } }),
        Setting(key: "agent.unsafe_fixes", kind: .bool, help: "let autofix apply unsafe fixes",
                read: { .bool($0.unsafeFixes) }, write: { if case .bool(let v) = $1 { $0.unsafeFixes = v } }),
        Setting(key: "linters.ruff.executable", kind: .string, help: "ruff executable",
                read: { .string($0.ruffExecutable) }, write: { if case .string(let v) = $1 { $0.ruffExecutable = v } }),
        Setting(key: "linters.ruff.args", kind: .strings, help: "extra arguments for ruff check",
                read: { .strings($0.ruffArguments) }, write: { if case .strings(let v) = $1 { $0.ruffArguments = v } }),
    ] + docs + coordination

    /// `[docs]`: docgen after fix runs and for `stomper docgen`.
    static let docs: [Setting] = [
        Setting(key: "docs.enabled", kind: .bool, help: "regenerate docs of changed files after a fix run",
                read: { .bool($0.docs.enabled) }, write: { if case .bool(let v) = $1 { $0.docs.enabled = v } }),
        Setting(key: "docs.folder", kind: .string, help: "folder of generated docs, relative to the root",
                read: { .string($0.docs.folder) }, write: { if case .string(let v) = $1 { $0.docs.folder = v } }),
        Setting(key: "docs.generator", kind: .choice(DocgenSettings.GeneratorKind.allCases.map(\.rawValue)),
                help: "outline (built in) or command", read: { .string($0.docs.generator.rawValue) },
                write: { if case .string(let v) = $1, let kind = DocgenSettings.GeneratorKind(rawValue: v) { $0.docs.generator = kind } }),
        Setting(key: "docs.command", kind: .strings, help: "argv of the command generator",
                read: { .strings($0.docs.command) }, write: { if case .strings(let v) = $1 { $0.docs.command = v } }),
        Setting(key: "docs.timeout_sec", kind: .int(1...86_400), help: "longest one command generator run may take",
                read: { .int($0.docs.timeoutSeconds) }, write: { if case .int(let v) = $1 { $0.docs.timeoutSeconds = v } }),
        Setting(key: "docs.history_size", kind: .int(1...100_000), help: "docgen results kept in history",
                read: { .int($0.docs.historySize) }, write: { if case .int(let v) = $1 { $0.docs.historySize = v } }),
    ]

    /// `[maasl]`: the anti-stomp layer's switch and mode, and `[maasl.resource.<CLASS>]` per class.
    static let coordination: [Setting] = [
        Setting(key: "maasl.enabled", kind: .bool, help: "take leases and fence writes (off: one run at a time)",
                read: { .bool($0.coordination.enabled) }, write: { if case .bool(let v) = $1 { $0.coordination.enabled = v } }),
        Setting(key: "maasl.mode", kind: .choice(CoordinationPolicy.Enforcement.allCases.map(\.rawValue)),
                help: "enforce leases, or only observe and record would-be waits",
                read: { .string($0.coordination.enforcement.rawValue) },
                write: { if case .string(let v) = $1, let mode = CoordinationPolicy.Enforcement(rawValue: v) { $0.coordination.enforcement = mode } }),
    ] + ResourceClass.allCases.flatMap { resourceClass -> [Setting] in
        let section = "maasl.resource.\(resourceClass.rawValue)"
        return [
            Setting(key: section + ".lease_ttl_sec", kind: .int(1...86_400), help: "\(resourceClass.rawValue) lease lifetime without renewal",
                    read: { .int($0.coordination[resourceClass].leaseTTLMilliseconds / 1000) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].leaseTTLMilliseconds = v * 1000 } }),
            Setting(key: section + ".interactive_max_wait_ms", kind: .int(0...3_600_000),
                    help: "\(resourceClass.rawValue) longest wait in interactive mode",
                    read: { .int($0.coordination[resourceClass].interactiveMaxWaitMilliseconds) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].interactiveMaxWaitMilliseconds = v } }),
            Setting(key: section + ".batch_max_wait_ms", kind: .int(0...3_600_000), help: "\(resourceClass.rawValue) longest wait in batch mode",
                    read: { .int($0.coordination[resourceClass].batchMaxWaitMilliseconds) },
                    write: { if case .int(let v) = $1 { $0.coordination[resourceClass].batchMaxWaitMilliseconds = v } }),
        ]
    }

    static func setting(_ key: String) -> Setting? { all.first { $0.key == key } }
}

/// The configuration after merging defaults < stomper.toml < STOMPER_* < flags, with the source
/// of every value (for `stomper config dump`).
struct ResolvedConfiguration {
    var configuration = StomperConfiguration()
    var sources: [String: SettingSource] = [:]
    var file: String?
    var warnings: [String] = []

    init() {}

    /// A configuration that was already resolved (a run's stored settings).
    init(configuration: StomperConfiguration) {
        self.configuration = configuration
    }

    /// Loads the layers. `flags` are already-typed values from the command line.
    static func load(root: String, explicitFile: String?, environment: [String: String],
                     flags: [String: SettingValue]) throws -> ResolvedConfiguration {
        var resolved = ResolvedConfiguration()
        for setting in Settings.all { resolved.sources[setting.key] = .defaults }
        let path = explicitFile ?? root + "/stomper.toml"
        if FileManager.default.fileExists(atPath: path) {
            resolved.file = path
            for (key, value) in try fileValues(path) {
                resolved.set(key, value, from: .file)
            }
        } else if let explicitFile {
            throw ConfigError("config file \(explicitFile) does not exist: check the --config path")
        }
        let known = Set(Settings.all.map(\.environmentName))
        for (name, text) in environment where name.hasPrefix("STOMPER_") {
            guard known.contains(name), let setting = Settings.all.first(where: { $0.environmentName == name }) else {
                resolved.warnings.append("ignoring unknown environment variable \(name) (known: \(known.sorted().joined(separator: ", ")))")
                continue
            }
            resolved.set(setting.key, try setting.parse(environment: text), from: .environment)
        }
        for (key, value) in flags {
            guard let setting = Settings.setting(key) else { continue }
            resolved.set(key, try setting.validate(value, source: "the command line"), from: .flag)
        }
        return resolved
    }

    mutating func set(_ key: String, _ value: SettingValue, from source: SettingSource) {
        guard let setting = Settings.setting(key) else { return }
        setting.write(&configuration, value)
        sources[key] = source
    }

    /// Reads `stomper.toml`, rejecting unknown sections and keys, and values of the wrong type.
    static func fileValues(_ path: String) throws -> [(String, SettingValue)] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError("cannot read \(path): \(error.localizedDescription)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError("\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        }
        var values: [(String, SettingValue)] = []
        try collect(table, prefix: "", path: path, into: &values)
        return values
    }

    private static func collect(_ table: TOMLTable, prefix: String, path: String, into values: inout [(String, SettingValue)]) throws {
        for key in table.keys.sorted() {
            let fullKey = prefix.isEmpty ? key : prefix + "." + key
            guard let value = table[key] else { continue }
            if let nested = value.table {
                guard Settings.all.contains(where: { $0.key.hasPrefix(fullKey + ".") }) else {
                    throw ConfigError("unknown section [\(fullKey)] in \(path): known sections are \(knownSections)")
                }
                try collect(nested, prefix: fullKey, path: path, into: &values)
                continue
            }
            guard let setting = Settings.setting(fullKey) else {
                let section = prefix.isEmpty ? "the top level" : "[\(prefix)]"
                let known = Settings.all.filter { $0.section == prefix }.map(\.name)
                throw ConfigError("unknown key \"\(key)\" in \(section) of \(path)"
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
                        throw ConfigError("\(fullKey) in \(path) has the wrong type: expected \(setting.typeName)")
                    }
                    strings.append(string)
                }
                parsed = .strings(strings)
            } else {
                throw ConfigError("\(fullKey) in \(path) has the wrong type: expected \(setting.typeName)")
            }
            values.append((fullKey, try setting.validate(parsed, source: path)))
        }
    }

    static var knownSections: String {
        Array(Set(Settings.all.map { "[\($0.section)]" })).sorted().joined(separator: ", ")
    }

    /// The merged configuration as TOML, each value annotated with where it came from.
    func dumpTOML() -> String {
        var output = "# stomper configuration (defaults < stomper.toml < STOMPER_* environment < flags)\n"
        if let file { output += "# file: \(file)\n" }
        var currentSection = ""
        for setting in Settings.all {
            if setting.section != currentSection {
                currentSection = setting.section
                output += "\n[\(currentSection)]\n"
            }
            let source = sources[setting.key] ?? .defaults
            output += "\(setting.name) = \(setting.read(configuration).toml)  # \(source.rawValue)\n"
        }
        return output
    }

    func dumpJSON() -> [String: Any] {
        var settings: [String: Any] = [:]
        for setting in Settings.all {
            settings[setting.key] = ["value": setting.read(configuration).json, "source": (sources[setting.key] ?? .defaults).rawValue]
        }
        return ["file": file as Any, "settings": settings]
    }
}
