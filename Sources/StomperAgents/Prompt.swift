import Foundation
import StomperProcess
import StomperQuality

/// The text given to an AI agent: what to fix, where, the rules, and what went wrong last time,
/// rendered from a `PromptTemplate`.
public enum Prompt {
    /// Lines of context shown around each diagnostic.
    static let contextLines = 2
    /// Lines of the failing tests' output shown on a retry.
    static let testOutputLines = 40
    static let testOutputCharacters = 4000

    /// The prompt for an agent that edits the file itself; the file is read from the worktree.
    public static func build(for request: FixRequest, template: PromptTemplate = .task) -> String {
        let source = (try? String(contentsOfFile: request.worktree + "/" + request.path, encoding: .utf8)) ?? ""
        return template.render(values(for: request, source: source))
    }

    /// The system and user messages for a chat endpoint: the task, the whole file in one fenced
    /// block, and the instruction to answer with the whole corrected file in one fenced block.
    public static func chatMessages(
        for request: FixRequest, source: String, system: PromptTemplate = .chatSystem,
        user: PromptTemplate = .chatUser
    ) -> (system: String, user: String) {
        let values = values(for: request, source: source)
        return (system.render(values), user.render(values))
    }

    /// Every placeholder's value; a section with no content is empty.
    static func values(for request: FixRequest, source: String) -> [PromptTemplate.Placeholder: String] {
        let language = language(of: request.path)
        return [
            .path: request.path,
            .language: language,
            .diagnostics: diagnostics(request.diagnostics, source: source),
            .constraints: constraints(path: request.path),
            .feedback: feedback(request.feedback, attempt: request.attempt),
            .examples: examples(request.examples),
            .file: fenced(source, info: language == "text" ? "" : language),
        ]
    }

    /// `python`, `shell`, `yaml`, or `text`, from the extension.
    static func language(of path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "py", "pyi": return "python"
        case "sh", "bash", "bats": return "shell"
        case "yml", "yaml": return "yaml"
        default: return "text"
        }
    }

    static func constraints(path: String) -> String {
        """
        Rules:
        - Edit only `\(path)`. Do not create, delete or edit any other file.
        - Fix the cause. Do not add suppressions (`# noqa`, `# type: ignore`, `# pyright: ignore`, `# pylint: disable`, \
        `# shellcheck disable`, `# fmt: off` or the like) and do not change lint, type-checker or test configuration.
        - Do not delete, skip or weaken tests (no `pytest.mark.skip`, `xfail` or `skipTest`).
        - Do not commit, stage or run git commands that change the repository.
        - Keep the behaviour of the code the same.
        """
    }

    static func diagnostics(_ diagnostics: [Diagnostic], source: String) -> String {
        guard !diagnostics.isEmpty else { return "" }
        var lines = source.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if lines.last?.isEmpty == true { lines.removeLast() }
        var text = "Diagnostics (\(diagnostics.count)):"
        for diagnostic in diagnostics {
            text += "\n- \(diagnostic.line):\(diagnostic.column) \(diagnostic.code) \(diagnostic.message)"
            if let url = diagnostic.url { text += " (\(url))" }
            let first = max(1, diagnostic.line - contextLines)
            let last = min(lines.count, diagnostic.line + contextLines)
            guard first <= last else { continue }
            text += "\n  ```"
            for number in first...last {
                text += "\n  \(number)\(number == diagnostic.line ? ">" : " ") \(lines[number - 1])"
            }
            text += "\n  ```"
        }
        return text
    }

    static func feedback(_ feedback: AttemptFeedback?, attempt: Int) -> String {
        guard let feedback else { return attempt > 1 ? "This is attempt \(attempt)." : "" }
        var text = "This is attempt \(attempt). The previous attempt did not finish the job:"
        for diagnostic in feedback.remaining { text += "\n- still present: \(diagnostic.formatted)" }
        for diagnostic in feedback.introduced { text += "\n- newly introduced: \(diagnostic.formatted)" }
        for note in feedback.notes { text += "\n- \(note)" }
        if let output = feedback.testOutput?.trimmingCharacters(in: .whitespacesAndNewlines), !output.isEmpty {
            var tail = output.components(separatedBy: "\n").suffix(testOutputLines).joined(separator: "\n")
            if tail.count > testOutputCharacters { tail = "…" + tail.suffix(testOutputCharacters) }
            text +=
                "\nThe tests failed after the previous attempt; the end of their output:\n"
                + fenced(Redactor.process.redact(tail), info: "")
        }
        return text
    }

    static func examples(_ examples: [FixExample]) -> String {
        guard !examples.isEmpty else { return "" }
        var text = "Earlier verified fixes of the same codes in this repository, for reference:"
        for example in examples {
            text += "\n\n\(example.code) in `\(example.path)`:\n" + fenced(example.diff, info: "diff")
        }
        return text
    }

    /// `text` in a fenced block whose fence is longer than any run of backticks inside it, so
    /// the block cannot end early.
    static func fenced(_ text: String, info: String) -> String {
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + info + "\n" + text + (text.hasSuffix("\n") || text.isEmpty ? "" : "\n") + fence
    }
}
