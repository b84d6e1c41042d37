import Foundation
import StomperAgents
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct PromptTemplateTests {
    static let source = "import os\nimport sys\n\nx = 1\ny = 2\nz = 3\n"

    func request(
        _ dir: String, path: String = "pkg/a.py", attempt: Int = 1, feedback: AttemptFeedback? = nil,
        examples: [FixExample] = []
    ) throws -> FixRequest {
        try FileManager.default.createDirectory(atPath: dir + "/pkg", withIntermediateDirectories: true)
        try Data(Self.source.utf8).write(to: URL(fileURLWithPath: dir + "/" + path))
        return FixRequest(
            worktree: dir, path: path,
            diagnostics: [
                Diagnostic(
                    tool: "ruff", path: path, line: 4, column: 1, code: "F841", message: "unused x",
                    url: "https://docs.astral.sh/ruff/rules/unused-variable")
            ],
            attempt: attempt, feedback: feedback, timeout: .seconds(1), scratchDirectory: dir + "/scratch", examples: examples)
    }

    @Test func firstAttemptHasTaskConstraintsAndNumberedContextButNoEmptySections() async throws {
        try await withTemporaryDirectory { dir in
            let prompt = Prompt.build(for: try request(dir))
            #expect(prompt.hasPrefix("Fix the lint and type errors in `pkg/a.py` (python).\n\nRules:\n"))
            #expect(prompt.contains("- 4:1 F841 unused x (https://docs.astral.sh/ruff/rules/unused-variable)"))
            // Two lines either side, the diagnostic's line marked.
            #expect(prompt.contains("  2  import sys\n  3  \n  4> x = 1\n  5  y = 2\n  6  z = 3\n  ```"))
            #expect(!prompt.contains("  1  import os"))
            for forbidden in ["noqa", "type: ignore", "configuration", "skip", "Do not commit", "Edit only `pkg/a.py`"] {
                #expect(prompt.contains(forbidden), "constraints mention \(forbidden)")
            }
            #expect(!prompt.contains("attempt"))
            #expect(!prompt.contains("Earlier verified fixes"))
            #expect(!prompt.contains("\n\n\n"))
            #expect(prompt.hasSuffix("```\n"))
        }
    }

    @Test func retryCarriesAttemptRemainingIntroducedNotesAndTheTestOutputTail() async throws {
        try await withTemporaryDirectory { dir in
            let remaining = Diagnostic(tool: "ruff", path: "pkg/a.py", line: 4, column: 1, code: "F841", message: "unused x")
            let introduced = Diagnostic(tool: "mypy", path: "pkg/a.py", line: 5, column: 1, code: "name-defined", message: "no y")
            let testOutput = (1...100).map { "test line \($0)" }.joined(separator: "\n")
            let prompt = Prompt.build(
                for: try request(
                    dir, attempt: 3,
                    feedback: AttemptFeedback(
                        remaining: [remaining], introduced: [introduced], notes: ["added a # noqa comment"], testOutput: testOutput)))
            #expect(prompt.contains("This is attempt 3. The previous attempt did not finish the job:"))
            #expect(prompt.contains("- still present: pkg/a.py:4:1: F841 unused x"))
            #expect(prompt.contains("- newly introduced: pkg/a.py:5:1: name-defined no y"))
            #expect(prompt.contains("- added a # noqa comment"))
            #expect(prompt.contains("test line 100\n```"))
            #expect(prompt.contains("test line 61\n"))
            #expect(!prompt.contains("test line 60\n"))
        }
    }

    @Test func examplesAppearOnlyWhenPresentWithCodeAndDiff() async throws {
        try await withTemporaryDirectory { dir in
            let diff = "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-x = 1\n+_ = 1\n"
            let prompt = Prompt.build(for: try request(dir, examples: [FixExample(code: "F841", path: "b.py", diff: diff)]))
            #expect(prompt.contains("Earlier verified fixes of the same codes in this repository"))
            #expect(prompt.contains("F841 in `b.py`:\n```diff\n" + diff + "```"))
        }
    }

    @Test func overrideTemplateUsesTheCallersTextAndDropsEmptySectionLines() async throws {
        try await withTemporaryDirectory { dir in
            let template = try PromptTemplate(text: "Please repair {{path}}.\n\n{{feedback}}\n\n{{examples}}\n\n{{diagnostics}}\nThanks.")
            let prompt = Prompt.build(for: try request(dir), template: template)
            #expect(prompt.hasPrefix("Please repair pkg/a.py.\n\nDiagnostics (1):\n- 4:1 F841"))
            #expect(prompt.hasSuffix("```\nThanks.\n"))
            #expect(template.placeholders == [.path, .feedback, .examples, .diagnostics])
        }
    }

    @Test(arguments: [("Fix {{paht}}", "{{paht}}"), ("Fix {{ path }}", "{{ path }}"), ("{{}} and {{path}}", "{{}}")])
    func unknownPlaceholderIsABadConfigurationNamingItAndTheValidNames(_ text: String, _ named: String) {
        #expect {
            _ = try PromptTemplate(text: text)
        } throws: { error in
            guard let error = error as? AgentError else { return false }
            return error.code == .badConfiguration && error.message.contains("unknown placeholder \(named)")
                && error.message.contains("{{path}}") && error.message.contains("{{feedback}}")
        }
    }

    @Test func singleBracesAreText() throws {
        #expect(try PromptTemplate(text: "single {braces} are text").render([:]) == "single {braces} are text\n")
    }

    @Test func windowsLineEndingsInATemplateStillDropEmptySections() throws {
        let template = try PromptTemplate(text: "A {{path}}\r\n\r\n{{feedback}}\r\n\r\nB\r\n")
        #expect(template.render([.path: "x"]) == "A x\n\nB\n")
    }

    @Test func valuesAreNotScannedForPlaceholdersAgain() throws {
        let template = try PromptTemplate(text: "A {{path}} B")
        #expect(template.render([.path: "{{file}}"]) == "A {{file}} B\n")
    }

    @Test func chatMessagesFenceTheWholeFileSafely() async throws {
        try await withTemporaryDirectory { dir in
            let request = try request(dir)
            let source = "s = '```'\n"
            let (system, user) = Prompt.chatMessages(for: request, source: source)
            #expect(system.contains("whole corrected file in one fenced code block"))
            #expect(user.contains("The whole file `pkg/a.py`:\n````python\ns = '```'\n````\n"))
            #expect(user.contains("F841 unused x"))
            #expect(user.hasSuffix("Reply with the whole corrected file in one fenced code block and nothing else.\n"))
            let custom = Prompt.chatMessages(for: request, source: source, system: try PromptTemplate(text: "You fix {{language}}."))
            #expect(custom.system == "You fix python.\n")
        }
    }

    @Test func defaultTemplatesAreValidAndUseOnlyKnownPlaceholders() throws {
        for template in [PromptTemplate.task, .chatSystem, .chatUser] {
            #expect(try PromptTemplate(text: template.text) == template)
        }
        #expect(PromptTemplate.chatUser.placeholders.contains(.file))
        #expect(!PromptTemplate.task.placeholders.contains(.file))
    }
}
