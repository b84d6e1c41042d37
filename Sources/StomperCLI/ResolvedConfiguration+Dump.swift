import StomperCore

/// `stomper config dump`: the merged configuration with the source of every value.
extension ResolvedConfiguration {
    /// The merged configuration as TOML, each value annotated with where it came from.
    func dumpTOML() -> String {
        var output = "# stomper configuration (defaults < stomper.toml or pyproject.toml [tool.stomper] < STOMPER_* environment < flags)\n"
        if let file { output += "# file: \(file)\(fileSource == .pyproject ? " [tool.stomper]" : "")\n" }
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
