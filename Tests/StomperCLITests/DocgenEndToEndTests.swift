import Foundation
import StomperProcess
import StomperTestSupport
import Testing

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct DocgenTests {
    static let docsOn: [String: String?] = ["STOMPER_DOCS_ENABLED": "true"]

    static func docName(_ path: String) -> String { "docs/stomper/" + path.replacingOccurrences(of: "/", with: "_") + ".md" }

    /// The SHA-256 header a current doc of `path` (as committed at HEAD) must start with.
    static func expectedHeader(_ repo: PythonRepository, _ path: String) async throws -> String {
        let source = try await repo.fixture.git("show", "HEAD:" + path)
        let result = try await ProcessRunner.run(ProcessSpec(executable: "sha256sum", input: Array(source.utf8), timeout: .seconds(10)))
        return "<!-- SHA256: \(result.stdoutText.prefix(64)) -->"
    }

    /// A first fix run writes no docs into the repository (nobody asked for them). Once
    /// `stomper docgen` made some, a fix run refreshes exactly the existing docs of the files it
    /// changed, in one docs commit, and adds none for the others; `docs.generate_missing` adds them.
    @Test func aFixRunRefreshesExistingDocsOnlyAndDocgenCreatesThem() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let fixed = try await repo.stomper("fix", "--json", environment: Self.docsOn)
            #expect(fixed.exitCode == 0, "\(fixed.stderrText)")
            let firstDocs = try repo.report(fixed)["docs"]
            #expect(firstDocs == nil || firstDocs is NSNull)
            #expect(try await repo.commitCount() == 4)
            #expect(try await repo.fixture.git("ls-files", "docs").isEmpty)

            let made = try await repo.stomper("docgen", "src/pkg/fixable_0.py", "src/pkg/fixable_1.py", "--json")
            #expect(made.exitCode == 0, "\(made.stderrText)")
            #expect(try await repo.commitCount() == 5)

            // fixable_0 (documented) and fixable_3 (not) get errors again and are fixed.
            let grown = PythonSamples.fixable(0) + "\n\ndef extra_0() -> int:\n    return 0\n"
            try repo.fixture.write(["src/pkg/fixable_0.py": grown, "src/pkg/fixable_3.py": PythonSamples.fixable(3)])
            try await repo.fixture.commitAll("errors again")
            let again = try await repo.stomper("fix", "--json", environment: Self.docsOn)
            #expect(again.exitCode == 0, "\(again.stderrText)")
            let docs = try #require(try repo.report(again)["docs"] as? [String: Any])
            let results = try #require(docs["results"] as? [[String: Any]])
            #expect(results.map { $0["path"] as? String } == ["src/pkg/fixable_0.py"])
            #expect(results.map { $0["status"] as? String } == ["generated"])
            // 5 + the errors commit + 2 fixes + 1 docs commit holding the one refreshed doc.
            #expect(try await repo.commitCount() == 9)
            let docsCommit = try await repo.fixture.git("log", "-1", "--format=", "--name-only")
            #expect(docsCommit == Self.docName("src/pkg/fixable_0.py") + "\n")
            let doc = try String(contentsOfFile: repo.root + "/" + Self.docName("src/pkg/fixable_0.py"), encoding: .utf8)
            #expect(doc.hasPrefix(try await Self.expectedHeader(repo, "src/pkg/fixable_0.py") + "\n"))
            #expect(doc.contains("total_0") && doc.contains("extra_0"), "the outline names the functions")
            #expect(!FileManager.default.fileExists(atPath: repo.root + "/" + Self.docName("src/pkg/fixable_3.py")))
            #expect(try await repo.status().isEmpty)

            let noop = try await repo.stomper("docgen", "src/pkg/fixable_0.py", "src/pkg/fixable_1.py", "--json")
            let second = try #require(try repo.json(noop) as? [String: Any])
            #expect((second["results"] as? [[String: Any]] ?? []).map { $0["status"] as? String } == ["noop", "noop"])
            #expect(try await repo.commitCount() == 9)

            try repo.fixture.write(["src/pkg/fixable_4.py": PythonSamples.fixable(4)])
            try await repo.fixture.commitAll("a new file")
            let missing = try await repo.stomper("fix", "--json", environment: Self.docsOn.merging(["STOMPER_DOCS_GENERATE_MISSING": "true"]) { $1 })
            #expect(missing.exitCode == 0, "\(missing.stderrText)")
            #expect(FileManager.default.fileExists(atPath: repo.root + "/" + Self.docName("src/pkg/fixable_4.py")))
        }
    }

    /// A shell script's doc carries its shellcheck status when shellcheck is enabled.
    @Test func aShellScriptsDocCarriesItsShellcheckStatus() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["bin/run.sh": "#!/bin/sh\necho $1\n"])
            let result = try await repo.stomper(
                "docgen", "bin/run.sh", "--json",
                environment: ["STOMPER_LINTERS_ENABLED": "[\"ruff\", \"shellcheck\"]"])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let doc = try String(contentsOfFile: repo.root + "/" + Self.docName("bin/run.sh"), encoding: .utf8)
            #expect(doc.contains("- Lint: 1 diagnostic: SC2086"), "\(doc)")
        }
    }

    /// Several processes document the same file at once: one generates it, the others find it current.
    @Test func concurrentDocgenOfOneFileGeneratesItOnce() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["src/app.py": PythonSamples.clean])
            let runs = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await repo.stomper("docgen", "src/app.py", "--json", environment: ["STOMPER_FIX_MODE": "batch"]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var statuses: [String] = []
            for run in runs {
                #expect(run.exitCode == 0, "\(run.stderrText)")
                let output = try #require(try repo.json(run) as? [String: Any])
                statuses += (output["results"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
            }
            #expect(statuses.sorted() == ["generated", "noop", "noop", "noop"])
            #expect(try await repo.commitCount() == 2)
            #expect(try await repo.status().isEmpty)
        }
    }

    /// A doc a person is editing is never overwritten: docgen skips it and says why.
    @Test func aDocWithUncommittedEditsIsLeftAlone() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["src/app.py": PythonSamples.clean])
            #expect(try await repo.stomper("docgen", "src/app.py").exitCode == 0)
            let docPath = repo.root + "/" + Self.docName("src/app.py")
            try repo.fixture.write(["src/app.py": PythonSamples.clean + "\n\ndef added() -> int:\n    return 2\n"])
            _ = try await repo.fixture.git("commit", "-qam", "change app")
            let edited = try String(contentsOfFile: docPath, encoding: .utf8) + "\nA note by hand.\n"
            try Data(edited.utf8).write(to: URL(fileURLWithPath: docPath))

            let result = try await repo.stomper("docgen", "src/app.py", "--json")
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let output = try #require(try repo.json(result) as? [String: Any])
            let first = try #require((output["results"] as? [[String: Any]])?.first)
            #expect(first["status"] as? String == "skipped")
            #expect((first["reason"] as? String ?? "").contains("uncommitted changes"))
            #expect(try String(contentsOfFile: docPath, encoding: .utf8) == edited)
        }
    }

    /// A kill in the middle of writing a doc (after the temporary file, before the rename) leaves the
    /// old doc whole; the next docgen cleans up and writes the new one.
    @Test func aKillDuringADocWriteLeavesTheOldDocWhole() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["src/app.py": PythonSamples.clean])
            #expect(try await repo.stomper("docgen", "src/app.py").exitCode == 0)
            let docPath = repo.root + "/" + Self.docName("src/app.py")
            let old = try Data(contentsOf: URL(fileURLWithPath: docPath))
            try repo.fixture.write(["src/app.py": PythonSamples.clean + "\n\ndef added() -> int:\n    return 2\n"])
            _ = try await repo.fixture.git("commit", "-qam", "change app")

            let killed = try await repo.stomper("docgen", "src/app.py", environment: ["STOMPER_FAILPOINT": "docs.write"])
            #expect(killed.termination == .signaled(SIGKILL))
            #expect(try Data(contentsOf: URL(fileURLWithPath: docPath)) == old, "the doc must be the old one, whole")

            let rerun = try await repo.stomper("docgen", "src/app.py")
            #expect(rerun.exitCode == 0, "\(rerun.stderrText)")
            let new = try String(contentsOfFile: docPath, encoding: .utf8)
            #expect(new.hasPrefix(try await Self.expectedHeader(repo, "src/app.py")))
            #expect(new.contains("added"))
            #expect(try await repo.status().isEmpty, "temporary files or uncommitted docs left behind")
        }
    }
}
