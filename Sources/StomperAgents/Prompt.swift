import Foundation
import StomperQuality

/// The text given to an AI agent: what to fix, where, the rules, and what went wrong last time.
public enum Prompt {
    /// Lines of context shown around each diagnostic.
    static let contextLines = 2

    public static func build(for request: FixRequest) -> String {
        let source = (try? String(contentsOfFile: request.worktree + "/" + request.path, encoding: .utf8)) ?? ""
        let lines = source.components(separatedBy: "\n")
        var text = """
            Fix the lint and type errors in `\(request.path)`.

            Rules:
            - Edit only `\(request.path)`. Do not create, delete or edit any other file.
            - Fix the cause. Do not add suppressions (`# noqa`, `# type: ignore`, disable comments) and do not change lint configuration.
            - Do not commit, stage or run git commands that change the repository.
            - Keep the behaviour of the code the same.

            Diagnostics (\(request.diagnostics.count)):

            """
        for diagnostic in request.diagnostics {
            text += "- \(diagnostic.line):\(diagnostic.column) \(diagnostic.code) \(diagnostic.message)"
            if let url = diagnostic.url { text += " (\(url))" }
            text += "\n"
            let first = max(1, diagnostic.line - contextLines)
            let last = min(lines.count, diagnostic.line + contextLines)
            if first <= last {
                text += "  ```\n"
                for number in first...last {
                    text += "  \(number)\(number == diagnostic.line ? ">" : " ") \(lines[number - 1])\n"
                }
                text += "  ```\n"
            }
        }
        if let feedback = request.feedback {
            text += "\nThis is attempt \(request.attempt). The previous attempt did not finish the job:\n"
            for diagnostic in feedback.remaining { text += "- still present: \(diagnostic.formatted)\n" }
            for diagnostic in feedback.introduced { text += "- newly introduced: \(diagnostic.formatted)\n" }
            for note in feedback.notes { text += "- \(note)\n" }
        }
        return text
    }

    /// The system and user messages for a chat endpoint: the task, the whole file in one fenced
    /// block, and the instruction to answer with the whole corrected file in one fenced block.
    public static func chatMessages(for request: FixRequest, source: String) -> (system: String, user: String) {
        let system = "You fix lint and type errors. Reply with the whole corrected file in one fenced code block and nothing else."
        let user = build(for: request) + "\nThe whole file `\(request.path)`:\n```\n" + source + (source.hasSuffix("\n") ? "" : "\n") + "```\n"
        return (system, user)
    }
}
