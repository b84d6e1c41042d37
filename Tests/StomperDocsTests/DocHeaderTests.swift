import StomperDocs
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct DocHeaderTests {
    /// Known answers (FIPS 180-2 examples).
    @Test func hashesBytesAsLowercaseHex() {
        #expect(DocHeader.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(DocHeader.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func headerRoundTrips() {
        let hash = DocHeader.sha256Hex(Array("print('hi')\n".utf8))
        let line = DocHeader.line(for: hash)
        #expect(line == "<!-- SHA256: \(hash) -->")
        let doc = DocRenderer.document(header: line, body: "# a.py\n\nBody.\n")
        #expect(DocHeader.hash(inDoc: doc) == hash)
        #expect(DocHeader.isCurrent(doc: doc, sourceHash: hash))
        #expect(!DocHeader.isCurrent(doc: doc, sourceHash: DocHeader.sha256Hex(Array("changed".utf8))))
    }

    @Test func toleratesCRLFButNothingElse() {
        let hash = DocHeader.sha256Hex([1, 2, 3])
        #expect(DocHeader.hash(inDoc: Array((DocHeader.line(for: hash) + "\r\nrest").utf8)) == hash)
        #expect(DocHeader.hash(inDoc: Array(DocHeader.line(for: hash).utf8)) == hash)
    }

    @Test(arguments: [
        "",
        "# Title\n",
        "<!-- SHA256: abc -->\n",
        "<!-- SHA256: \(String(repeating: "A", count: 64)) -->\n",
        "<!-- SHA256: \(String(repeating: "g", count: 64)) -->\n",
        "<!-- SHA256: \(String(repeating: "a", count: 65)) -->\n",
        " <!-- SHA256: \(String(repeating: "a", count: 64)) -->\n",
        "<!-- SHA256: \(String(repeating: "a", count: 64)) --> extra\n",
        "<!--SHA256: \(String(repeating: "a", count: 64)) -->\n",
        "\n<!-- SHA256: \(String(repeating: "a", count: 64)) -->\n",
    ])
    func malformedHeadersAreAbsent(_ doc: String) {
        #expect(DocHeader.hash(inDoc: Array(doc.utf8)) == nil)
        #expect(!DocHeader.isCurrent(doc: Array(doc.utf8), sourceHash: String(repeating: "a", count: 64)))
    }

    @Test func rendererPutsTheHeaderFirstAndNormalisesTheBody() {
        let line = DocHeader.line(for: DocHeader.sha256Hex([]))
        let doc = String(decoding: DocRenderer.document(header: line, body: "\n\n# T\n\ntext  \n\n\n"), as: UTF8.self)
        #expect(doc == line + "\n\n# T\n\ntext\n")
        #expect(String(decoding: DocRenderer.document(header: line, body: "  \n"), as: UTF8.self) == line + "\n")
    }
}

@Suite(.tags(.unit)) struct LintStatusTests {
    private func diagnostic(_ code: String, line: Int) -> Diagnostic {
        Diagnostic(tool: "ruff", path: "a.py", line: line, column: 1, code: code, message: "m")
    }

    @Test func summarisesCleanUnlintedAndDirtyFiles() {
        #expect(LintStatus().summary == "not linted")
        #expect(LintStatus(linters: ["ruff"]).summary == "clean (ruff)")
        #expect(LintStatus(linters: ["ruff", "mypy"]).summary == "clean (ruff, mypy)")
        #expect(LintStatus(diagnostics: [diagnostic("F401", line: 1)], linters: ["ruff"]).summary == "1 diagnostic: F401")
        let status = LintStatus(
            diagnostics: [diagnostic("F401", line: 9), diagnostic("E501", line: 2), diagnostic("E501", line: 5)],
            linters: ["ruff"])
        #expect(status.summary == "3 diagnostics: E501 ×2, F401")
    }

    @Test func keepsDiagnosticsSortedSoEqualStatusesCompareEqual() {
        let a = LintStatus(diagnostics: [diagnostic("F401", line: 9), diagnostic("E501", line: 2)], linters: ["ruff"])
        let b = LintStatus(diagnostics: [diagnostic("E501", line: 2), diagnostic("F401", line: 9)], linters: ["ruff"])
        #expect(a == b)
        #expect(a.diagnostics.map(\.line) == [2, 9])
    }
}
