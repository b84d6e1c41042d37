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
    /// diagnostics left, one per line) the body. A single line stays as it is.
    public static func grouped(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 1 else { return text }
        return ([group(String(lines[0]))] + lines.dropFirst().map(String.init) + [endGroup]).joined(separator: "\n")
    }
}
