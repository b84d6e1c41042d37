/// The languages the built-in outline generator reads.
public enum SourceLanguage: String, Sendable, Hashable, CaseIterable {
    case python, swift, shell

    /// The name shown in a doc.
    public var displayName: String {
        switch self {
        case .python: return "Python"
        case .swift: return "Swift"
        case .shell: return "Shell"
        }
    }

    /// The language of `path`, from its extension (`.py`, `.pyi`, `.swift`, `.sh`, `.bash`) or,
    /// failing that, from a `#!` line naming python, swift, sh, bash, zsh or dash (directly or
    /// through `env`). Nil when neither says.
    public static func detect(path: String, source: [UInt8]) -> SourceLanguage? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            switch name[name.index(after: dot)...].lowercased() {
            case "py", "pyi": return .python
            case "swift": return .swift
            case "sh", "bash": return .shell
            default: break
            }
        }
        return interpreter(source).flatMap(language(ofInterpreter:))
    }

    /// The program a `#!` line runs: the last path component, or what `env` runs.
    static func interpreter(_ source: [UInt8]) -> String? {
        guard source.starts(with: Array("#!".utf8)) else { return nil }
        let line = String(decoding: source.dropFirst(2).prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let program = words.first?.split(separator: "/").last.map(String.init) else { return nil }
        guard program == "env" else { return program }
        words.removeFirst()
        // `env -S bash -e`, `env -i PATH=/bin sh`: skip options and assignments.
        return words.first { !$0.hasPrefix("-") && !$0.contains("=") }?.split(separator: "/").last.map(String.init)
    }

    static func language(ofInterpreter program: String) -> SourceLanguage? {
        if ["sh", "bash", "zsh", "dash"].contains(program) { return .shell }
        if program == "swift" { return .swift }
        let pythonVersion = program.drop { $0.isLetter }
        if ["python", "pypy"].contains(String(program.prefix(program.count - pythonVersion.count))),
            pythonVersion.allSatisfy({ $0.isNumber || $0 == "." })
        {
            return .python
        }
        return nil
    }
}
