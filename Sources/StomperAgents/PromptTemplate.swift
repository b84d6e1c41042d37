import Foundation

/// The text of a prompt with `{{name}}` placeholders, checked when it is made.
///
/// The defaults are constants compiled into the package, never files looked up relative to the
/// working directory or a bundle, so a run behaves the same wherever it starts. A project can
/// override them with its own text (the CLI reads it from a project file).
///
/// Each section placeholder (`diagnostics`, `constraints`, `feedback`, `examples`) renders its own
/// heading, or nothing when it has no content; a template line holding only such a placeholder is
/// then dropped together with the blank line it leaves, so no empty heading or run of blank lines
/// remains.
public struct PromptTemplate: Sendable, Hashable {
    /// The names a template may use, each written `{{name}}`.
    public enum Placeholder: String, Sendable, Hashable, CaseIterable {
        /// The file to fix, relative to the repository root.
        case path
        /// The file's language, from its extension (`python`, `shell`, `yaml`, or `text`).
        case language
        /// Each diagnostic with its code, message, rule URL and two numbered lines either side.
        case diagnostics
        /// What the agent must not do: suppress, edit configuration, skip tests, touch other files, commit.
        case constraints
        /// On a retry: the attempt number, what remained, what was introduced, notes, test output.
        case feedback
        /// Earlier verified fixes of the same codes (code and diff), when there are any.
        case examples
        /// The whole file in a fenced block (for chat endpoints, which cannot read it themselves).
        case file
    }

    public let text: String

    /// Throws `AgentError.badConfiguration` naming the first unknown `{{placeholder}}` and the valid names.
    public init(text: String) throws {
        for match in text.matches(of: Self.placeholderPattern) {
            let name = String(match.output.1)
            guard Placeholder(rawValue: name) != nil else {
                let valid = Placeholder.allCases.map { "{{\($0.rawValue)}}" }.joined(separator: ", ")
                throw AgentError(.badConfiguration, "unknown placeholder {{\(name)}} in the prompt template; use \(valid)")
            }
        }
        self.text = text
    }

    private init(checked text: String) {
        self.text = text
    }

    private static var placeholderPattern: Regex<(Substring, Substring)> { /\{\{([^{}]*)\}\}/ }

    /// The placeholders this template uses, in order of first use.
    public var placeholders: [Placeholder] {
        var seen: [Placeholder] = []
        for match in text.matches(of: Self.placeholderPattern) {
            if let placeholder = Placeholder(rawValue: String(match.output.1)), !seen.contains(placeholder) {
                seen.append(placeholder)
            }
        }
        return seen
    }

    /// Fills the placeholders. Values are inserted verbatim (a value is never scanned for
    /// placeholders again); template lines that held only an empty value are removed.
    public func render(_ values: [Placeholder: String]) -> String {
        var lines: [String] = []
        var lastWasBlankTemplateLine = true
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let standalone = Self.standalonePlaceholder(trimmed), values[standalone, default: ""].isEmpty {
                continue
            }
            if trimmed.isEmpty {
                // Template blank lines collapse, so a removed section leaves exactly one.
                if lastWasBlankTemplateLine { continue }
                lastWasBlankTemplateLine = true
                lines.append("")
                continue
            }
            lastWasBlankTemplateLine = false
            var rendered = ""
            var rest = Substring(line)
            while let match = rest.firstMatch(of: Self.placeholderPattern) {
                rendered += rest[..<match.range.lowerBound]
                if let placeholder = Placeholder(rawValue: String(match.output.1)) {
                    rendered += values[placeholder, default: ""]
                }
                rest = rest[match.range.upperBound...]
            }
            lines.append(rendered + rest)
        }
        while lines.last == "" { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func standalonePlaceholder(_ line: String) -> Placeholder? {
        guard line.hasPrefix("{{"), line.hasSuffix("}}"), line.count > 4 else { return nil }
        return Placeholder(rawValue: String(line.dropFirst(2).dropLast(2)))
    }
}

extension PromptTemplate {
    /// For AI coding CLIs, which edit the file themselves.
    public static let task = PromptTemplate(
        checked: """
            Fix the lint and type errors in `{{path}}` ({{language}}).

            {{constraints}}

            {{diagnostics}}

            {{feedback}}

            {{examples}}
            """)

    /// The system message for chat endpoints.
    public static let chatSystem = PromptTemplate(
        checked: """
            You fix lint and type errors in source files. Reply with the whole corrected file in one fenced code block and nothing else.
            """)

    /// The user message for chat endpoints: the task and the whole file.
    public static let chatUser = PromptTemplate(
        checked: """
            Fix the lint and type errors in `{{path}}` ({{language}}).

            {{constraints}}

            {{diagnostics}}

            {{feedback}}

            {{examples}}

            The whole file `{{path}}`:
            {{file}}

            Reply with the whole corrected file in one fenced code block and nothing else.
            """)
}
