import Foundation
import StomperDocs
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit), .timeLimit(.minutes(2))) struct CommandGeneratorTests {
    private func request(in workdir: String, source: String = "def f():\n    return 1\n") -> DocRequest {
        let diagnostic = Diagnostic(tool: "ruff", path: "src/pkg/mod.py", line: 1, column: 1, code: "D103", message: "Missing docstring")
        return DocRequest(
            path: "src/pkg/mod.py", source: Array(source.utf8),
            lintStatus: LintStatus(diagnostics: [diagnostic], linters: ["ruff"]), workdir: workdir)
    }

    private func failure(_ generator: CommandGenerator, _ request: DocRequest) async -> DocsError? {
        do {
            _ = try await generator.generate(request)
            return nil
        } catch {
            return error as? DocsError
        }
    }

    @Test func theDocBodyIsStandardOutput() async throws {
        try await withTemporaryDirectory { dir in
            let generator = try CommandGenerator(arguments: ["/bin/sh", "-c", "cat >/dev/null; printf '# Docs for %s\\n' \"$1\"", "sh", "{file}"])
            #expect(generator.name == "command")
            #expect(try await generator.generate(request(in: dir)) == "# Docs for src/pkg/mod.py\n")
        }
    }

    @Test func placeholdersAreFilledAndTheCommandRunsInTheWorkdir() async throws {
        try await withTemporaryDirectory { dir in
            let req = request(in: dir)
            let generator = try CommandGenerator(arguments: [
                "/bin/sh", "-c", "printf '%s|%s|%s|%s|%s' \"$1\" \"$2\" \"$3\" \"$4\" \"$(pwd)\"", "sh",
                "{file}", "{abs_file}", "--root={workdir}", "h={hash}.",
            ])
            let body = try await generator.generate(req)
            #expect(body == "src/pkg/mod.py|\(dir)/src/pkg/mod.py|--root=\(dir)|h=\(req.sourceHash).|\(dir)")
        }
    }

    @Test func substitutionIsSinglePassAndLeavesOtherBracesAlone() {
        let req = DocRequest(path: "odd/{hash}.py", source: [], workdir: "/w")
        let words = CommandGenerator.substitute(["{file}", "{unknown}", "{", "}{file}{", "{{hash}}", "json={\"a\":1}"], for: req)
        #expect(words == ["odd/{hash}.py", "{unknown}", "{", "}odd/{hash}.py{", "{\(req.sourceHash)}", "json={\"a\":1}"])
    }

    @Test func theSourceAndLintStatusGoToStandardInput() async throws {
        try await withTemporaryDirectory { dir in
            let req = request(in: dir, source: "def f():\n    return 1")
            let body = try await CommandGenerator(arguments: ["cat"]).generate(req)
            #expect(Array(body.utf8) == CommandGenerator.prompt(for: req))
            #expect(body.contains("File: src/pkg/mod.py\n"))
            #expect(body.contains("Lint: 1 diagnostic: D103\n- 1:1 D103 Missing docstring\n"))
            #expect(body.hasSuffix("----- BEGIN src/pkg/mod.py -----\ndef f():\n    return 1\n----- END src/pkg/mod.py -----\n"))
        }
    }

    @Test func aNonZeroExitIsAFailureWithItsStatusAndStandardError() async throws {
        try await withTemporaryDirectory { dir in
            let generator = try CommandGenerator(arguments: ["/bin/sh", "-c", "echo partial; echo 'model overloaded' >&2; exit 3"])
            let error = try #require(await failure(generator, request(in: dir)))
            #expect(error.code == .generatorFailed)
            #expect(error.exitStatus == 3)
            #expect(error.standardError == "model overloaded")
            #expect(error.commandLine?.hasPrefix("/bin/sh -c") == true)
            #expect(error.description.contains("/bin/sh"))
            #expect(error.description.contains("exit status 3"))
            #expect(error.description.contains("model overloaded"))
        }
    }

    @Test func emptyOutputIsAFailure() async throws {
        try await withTemporaryDirectory { dir in
            let generator = try CommandGenerator(arguments: ["/bin/sh", "-c", "cat >/dev/null; printf ' \\n\\n'"])
            let error = try #require(await failure(generator, request(in: dir)))
            #expect(error.code == .generatorFailed)
            #expect(error.description.contains("printed nothing"))
        }
    }

    @Test func oversizedOutputIsAFailureNotATruncatedDoc() async throws {
        try await withTemporaryDirectory { dir in
            let generator = try CommandGenerator(arguments: ["/bin/sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x"], outputLimit: 100)
            let error = try #require(await failure(generator, request(in: dir)))
            #expect(error.code == .generatorFailed)
            #expect(error.description.contains("more than 100 bytes"))
        }
    }

    @Test func aMissingExecutableSaysSo() async throws {
        try await withTemporaryDirectory { dir in
            let generator = try CommandGenerator(arguments: ["stomper-no-such-doc-tool-\(UUID().uuidString)", "{file}"])
            let error = try #require(await failure(generator, request(in: dir)))
            #expect(error.code == .generatorNotFound)
            #expect(error.description.contains("stomper-no-such-doc-tool-"))
            #expect(error.description.contains("not found"))
        }
    }

    @Test func aCommandPastItsTimeoutIsStopped() async throws {
        try await withTemporaryDirectory { dir in
            let generator = try CommandGenerator(arguments: ["/bin/sh", "-c", "sleep 600"], timeout: .milliseconds(200))
            let start = ContinuousClock.now
            let error = try #require(await failure(generator, request(in: dir)))
            #expect(error.code == .generatorTimedOut)
            #expect(error.description.contains("200 ms"))
            #expect(ContinuousClock.now - start < .seconds(60))
        }
    }

    @Test func unusableSettingsAreRejected() {
        #expect { _ = try CommandGenerator(arguments: []) } throws: { ($0 as? DocsError)?.code == .invalidConfiguration }
        #expect { _ = try CommandGenerator(arguments: [""]) } throws: { ($0 as? DocsError)?.code == .invalidConfiguration }
        #expect { _ = try CommandGenerator(arguments: ["cat"], timeout: .zero) } throws: { ($0 as? DocsError)?.code == .invalidConfiguration }
        #expect { _ = try CommandGenerator(arguments: ["cat"], outputLimit: 0) } throws: { ($0 as? DocsError)?.code == .invalidConfiguration }
        #expect(throws: Never.self) { _ = try CommandGenerator(arguments: ["cat"]) }
    }
}
