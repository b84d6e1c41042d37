import StomperQuality

/// The built-in generator: a deterministic Markdown outline of a file's top-level declarations,
/// its size and its lint status. It needs no tool or network, so it is the default.
///
/// Reads Python, Swift and shell (see `SourceLanguage.detect`); any other file throws
/// `.unsupported`, since an outline that silently says nothing would look like a real doc.
public struct OutlineGenerator: DocGenerator {
    public let name = "outline"
    /// Diagnostics listed in full; beyond this the doc says how many more there are.
    public var diagnosticLimit: Int

    public init(diagnosticLimit: Int = 50) {
        self.diagnosticLimit = diagnosticLimit
    }

    public func generate(_ request: DocRequest) async throws -> String {
        try body(for: request)
    }

    /// The same as `generate`, synchronously: the outline is pure computation.
    public func body(for request: DocRequest) throws(DocsError) -> String {
        guard let language = SourceLanguage.detect(path: request.path, source: request.source) else {
            throw DocsError(
                .unsupported,
                "the outline generator cannot read \(request.path) (not Python, Swift or shell); "
                    + "configure a command generator (docs.generator = \"command\") to document it",
                path: request.path)
        }
        let text = SourceText(request.source)
        let outline: Outline
        switch language {
        case .python: outline = PythonOutline.outline(of: text)
        case .swift: outline = SwiftOutline.outline(of: text)
        case .shell: outline = ShellOutline.outline(of: text)
        }
        return render(request, language: language, lineCount: text.lineCount, outline: outline)
    }

    private func render(_ request: DocRequest, language: SourceLanguage, lineCount: Int, outline: Outline) -> String {
        var lines = ["# \(request.path)", ""]
        if let summary = outline.summary {
            lines += ["> \(summary)", ""]
        }
        lines += [
            "- Language: \(language.displayName)",
            "- Lines: \(lineCount)",
            "- Lint: \(request.lintStatus.summary)",
            "",
        ]
        let diagnostics = request.lintStatus.diagnostics
        if !diagnostics.isEmpty {
            lines += ["## Diagnostics", ""]
            for diagnostic in diagnostics.prefix(diagnosticLimit) {
                lines.append(
                    "- line \(diagnostic.line), column \(diagnostic.column): \(Self.code(diagnostic.code)) "
                        + "\(diagnostic.message) (\(diagnostic.tool))")
            }
            if diagnostics.count > diagnosticLimit {
                lines.append("- … and \(diagnostics.count - diagnosticLimit) more")
            }
            lines.append("")
        }
        lines += ["## Outline", ""]
        if outline.entries.isEmpty {
            lines.append("No top-level declarations.")
        }
        for entry in outline.entries {
            let decorators = entry.decorators.map { Self.code($0) + " " }.joined()
            lines.append("- \(decorators)\(Self.code(entry.signature)) — line \(entry.line)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown code span that holds `text` whatever backticks it contains.
    static func code(_ text: String) -> String {
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let padding = text.hasPrefix("`") || text.hasSuffix("`") ? " " : ""
        return fence + padding + text + padding + fence
    }
}
