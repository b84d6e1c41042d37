/// GitHub Actions workflow commands (`::error file=…,line=…::message`), escaped as the runner
/// unescapes them: in the message (data) `%`, `\r` and `\n`; in property values additionally `:`
/// and `,`, which would otherwise end the value.
public enum WorkflowCommand {
    /// The data after `::`.
    public static func escapeData(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": result += "%25"
            case "\r": result += "%0D"
            case "\n": result += "%0A"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A property value (`file=`, `title=`).
    public static func escapeProperty(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": result += "%25"
            case "\r": result += "%0D"
            case "\n": result += "%0A"
            case ":": result += "%3A"
            case ",": result += "%2C"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `::name key=value,…::message`, properties in the order given.
    public static func make(_ name: String, _ properties: [(String, String)] = [], _ message: String) -> String {
        let props = properties.map { "\($0.0)=\(escapeProperty($0.1))" }.joined(separator: ",")
        return "::\(name)\(props.isEmpty ? "" : " " + props)::\(escapeData(message))"
    }

    /// `::group::title`; what follows until `::endgroup::` is folded in the log.
    public static func group(_ title: String) -> String { "::group::\(escapeData(title))" }

    public static let endGroup = "::endgroup::"

    /// A file's progress text folded as a group: the first line is the title, the rest (the
    /// diagnostics left, one per line) the body, each line made inert. A single line is only made
    /// inert.
    public static func grouped(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 1 else { return inert(text) }
        return ([group(String(lines[0]))] + lines.dropFirst().map { inert(String($0)) } + [endGroup]).joined(separator: "\n")
    }

    /// Text for the log of a GitHub Actions step that the runner cannot take for a workflow
    /// command, whatever file names or messages it holds. The runner reads a line as a command when
    /// it starts with `::` after leading white space, and as a legacy one when it holds `##[`
    /// anywhere: such a line gets a zero-width space before its `::`, and every `##[` one between
    /// its `#`s. The text reads the same in the log. Applied line by line.
    public static func inert(_ text: String) -> String {
        guard text.contains("::") || text.contains("##[") else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var line = String(line).replacing("##[", with: "#\u{200B}#[")
            let content = line.drop(while: \.isWhitespace)
            if content.hasPrefix("::") {
                line = String(line[..<content.startIndex]) + "\u{200B}" + content
            }
            return line
        }.joined(separator: "\n")
    }

    /// JSON text for the same log: `##[` can only stand inside a JSON string there, where
    /// `#\u0023[` is the same string; a JSON line never starts with `::`.
    public static func inertJSON(_ text: String) -> String {
        text.contains("##[") ? text.replacing("##[", with: "#\\u0023[") : text
    }
}
