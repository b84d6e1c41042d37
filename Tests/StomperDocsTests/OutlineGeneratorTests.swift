import StomperDocs
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct OutlineGeneratorTests {
    @Test func detectsLanguagesByExtensionThenShebang() {
        #expect(SourceLanguage.detect(path: "a/b.py", source: []) == .python)
        #expect(SourceLanguage.detect(path: "b.pyi", source: []) == .python)
        #expect(SourceLanguage.detect(path: "B.SWIFT", source: []) == .swift)
        #expect(SourceLanguage.detect(path: "x.bash", source: []) == .shell)
        #expect(SourceLanguage.detect(path: "tool", source: Array("#!/usr/bin/env python3.12\n".utf8)) == .python)
        #expect(SourceLanguage.detect(path: "tool", source: Array("#!/usr/bin/swift\n".utf8)) == .swift)
        #expect(SourceLanguage.detect(path: "tool.py", source: Array("#!/bin/sh\n".utf8)) == .python)
        #expect(SourceLanguage.detect(path: "tool", source: Array("#!/usr/bin/env node\n".utf8)) == nil)
        #expect(SourceLanguage.detect(path: "tool", source: Array("echo hi\n".utf8)) == nil)
        #expect(SourceLanguage.detect(path: ".bashrc", source: []) == nil)
    }

    @Test func aPythonScriptWithoutExtensionIsOutlinedAsPython() throws {
        let (body, entries) = try outline("#!/usr/bin/env python3\ndef main():\n    pass\n", path: "bin/run")
        #expect(body.contains("- Language: Python\n"))
        #expect(entries == ["`def main()` — line 2"])
    }

    @Test func unsupportedLanguagesThrowAndPointAtTheCommandGenerator() async {
        let request = DocRequest(path: "web/app.ts", source: Array("export function f() {}\n".utf8), workdir: "/repo")
        do {
            _ = try await OutlineGenerator().generate(request)
            Issue.record("expected an error")
        } catch let error as DocsError {
            #expect(error.code == .unsupported)
            #expect(error.path == "web/app.ts")
            #expect(error.description.contains("web/app.ts"))
            #expect(error.description.contains("docs.generator = \"command\""))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func sameInputGivesTheSameBytes() async throws {
        let diagnostics = [
            Diagnostic(tool: "ruff", path: "shapes.py", line: 7, column: 1, code: "F401", message: "`os` imported but unused"),
            Diagnostic(tool: "ruff", path: "shapes.py", line: 3, column: 89, code: "E501", message: "Line too long"),
        ]
        let request = DocRequest(
            path: "shapes.py", source: Array(PythonOutlineTests.module.utf8),
            lintStatus: LintStatus(diagnostics: diagnostics, linters: ["ruff"]), workdir: "/repo")
        let reordered = DocRequest(
            path: "shapes.py", source: Array(PythonOutlineTests.module.utf8),
            lintStatus: LintStatus(diagnostics: diagnostics.reversed(), linters: ["ruff"]), workdir: "/repo")
        let first = try await OutlineGenerator().generate(request)
        #expect(try await OutlineGenerator().generate(request) == first)
        #expect(try await OutlineGenerator().generate(reordered) == first)
        #expect(first.contains("- Lint: 2 diagnostics: E501, F401\n"))
        #expect(first.contains("## Diagnostics\n\n- line 3, column 89: `E501` Line too long (ruff)\n- line 7, column 1: `F401`"))
    }

    @Test func longDiagnosticListsAreCut() throws {
        let diagnostics = (1...5).map {
            Diagnostic(tool: "ruff", path: "a.py", line: $0, column: 1, code: "E501", message: "Line too long")
        }
        let request = DocRequest(
            path: "a.py", source: Array("x = 1\n".utf8),
            lintStatus: LintStatus(diagnostics: diagnostics, linters: ["ruff"]), workdir: "/repo")
        let body = try OutlineGenerator(diagnosticLimit: 2).body(for: request)
        #expect(body.contains("- line 2, column 1"))
        #expect(!body.contains("- line 3, column 1"))
        #expect(body.contains("- … and 3 more\n"))
    }

    @Test func emptyAndUnterminatedFilesStillGiveADoc() throws {
        #expect(try outline("", path: "empty.py").body.contains("- Lines: 0\n"))
        #expect(try outline("no newline", path: "one.sh").body.contains("- Lines: 1\n"))
        #expect(try outline("/* open comment\nfunc f() {}\n", path: "open.swift").entries.isEmpty)
        #expect(try outline("\"\"\"never closed\ndef f(): pass\n", path: "open.py").entries.isEmpty)
    }
}

@Suite(.tags(.unit)) struct OutlineFormatTests {
    /// The whole body, so a change of format is a deliberate one.
    @Test func theBodyHasTitleFactsDiagnosticsAndOutline() throws {
        let source = "\"\"\"Say hello.\"\"\"\n\n\ndef greet(name):\n    return f\"hi {name}\"\n"
        let diagnostic = Diagnostic(
            tool: "ruff", path: "hello.py", line: 4, column: 5, code: "ANN001",
            message: "Missing type annotation for `name`")
        let body = try outline(source, path: "pkg/hello.py", lint: LintStatus(diagnostics: [diagnostic], linters: ["ruff"])).body
        #expect(
            body == """
                # pkg/hello.py

                > Say hello.

                - Language: Python
                - Lines: 5
                - Lint: 1 diagnostic: ANN001

                ## Diagnostics

                - line 4, column 5: `ANN001` Missing type annotation for `name` (ruff)

                ## Outline

                - `def greet(name)` — line 4

                """)
    }
}
