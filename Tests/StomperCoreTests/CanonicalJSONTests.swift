import StomperAgents
import StomperCore
import StomperGit
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct CanonicalJSONTests {
    @Test func sortsKeysRecursivelyWithoutWhitespace() {
        let value = CanonicalJSON.object([
            "b": .array([.int(1), .object(["z": .null, "a": .bool(true)])]),
            "a": .string("x"),
            "B": .int(-3),
        ])
        #expect(value.text == #"{"B":-3,"a":"x","b":[1,{"a":true,"z":null}]}"#)
    }

    @Test func escapesOnlyWhatJSONRequiresAndKeepsUnicode() {
        #expect(CanonicalJSON.string("é\u{1F600}\"\\\n\t\u{01}").text == "\"é\u{1F600}\\\"\\\\\\n\\t\\u0001\"")
        // Keys sort by Unicode scalar value: "Z" (U+005A) < "a" (U+0061) < "é" (U+00E9).
        #expect(CanonicalJSON.object(["é": .int(1), "a": .int(2), "Z": .int(3)]).text == #"{"Z":3,"a":2,"é":1}"#)
    }

    @Test func integersAreDecimal() {
        #expect(CanonicalJSON.array([.int(0), .int(Int.max), .int(Int.min)]).text == "[0,\(Int.max),\(Int.min)]")
    }
}

@Suite(.tags(.unit)) struct IdempotencyKeyTests {
    let blob = ObjectID(hex: String(repeating: "ab", count: 20))!
    let agent = AgentIdentity(kind: "autofix", name: "autofix", settings: "ruff")
    func diagnostic(_ code: String, line: Int) -> Diagnostic {
        Diagnostic(tool: "ruff", path: "a.py", line: line, column: 1, code: code, message: "m")
    }

    func key(
        diagnostics: [Diagnostic], path: String = "a.py", versions: [String: String] = ["ruff": "1"],
        agent: AgentIdentity? = nil, config: String = "c"
    ) -> IdempotencyKey {
        IdempotencyKey(
            path: path, baseBlob: blob, diagnostics: diagnostics, agent: agent ?? self.agent,
            toolVersions: versions, configurationHash: config)
    }

    @Test func isStableAndIndependentOfDiagnosticOrder() {
        let one = key(diagnostics: [diagnostic("F401", line: 1), diagnostic("E711", line: 3)])
        let two = key(diagnostics: [diagnostic("E711", line: 3), diagnostic("F401", line: 1)])
        #expect(one == two)
        #expect(one.value.hasPrefix("ik:"))
        #expect(one.value.count == 67)
        #expect(one.value.dropFirst(3).allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func changesWithEveryInput() {
        let base = key(diagnostics: [diagnostic("F401", line: 1)])
        #expect(base != key(diagnostics: [diagnostic("F401", line: 2)]))
        #expect(base != key(diagnostics: [diagnostic("F401", line: 1)], path: "b.py"))
        #expect(base != key(diagnostics: [diagnostic("F401", line: 1)], versions: ["ruff": "2"]))
        #expect(base != key(diagnostics: [diagnostic("F401", line: 1)], agent: AgentIdentity(kind: "command", name: "x", settings: "")))
        #expect(base != key(diagnostics: [diagnostic("F401", line: 1)], config: "d"))
    }

    @Test func sha256MatchesAKnownVector() {
        #expect(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
