import Foundation
import StomperProcess
import StomperTestSupport
import Testing

@Suite(.timeLimit(.minutes(10))) struct DocgenTests {
    static let docsOn: [String: String?] = ["STOMPER_DOCS_ENABLED": "true"]

    static func docName(_ path: String) -> String { "docs/stomper/" + path.replacingOccurrences(of: "/", with: "_") + ".md" }

    /// The SHA-256 header a current doc of `path` (as committed at HEAD) must start with.
    static func expectedHeader(_ repo: PythonRepository, _ path: String) async throws -> String {
        let source = try await repo.fixture.git("show", "HEAD:" + path)
        let result = try await ProcessRunner.run(ProcessSpec(executable: "sha256sum", input: Array(source.utf8), timeout: .seconds(10)))
        return "<!-- SHA256: \(result.stdoutText.prefix(64)) -->"
    }

    @Test func aFixRunDocumentsTheFilesItChangedInOneCommitAndAgainIsANoop() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let fixed = try await repo.stomper("fix", "--json", environment: Self.docsOn)
            #expect(fixed.exitCode == 0, "\(fixed.stderrText)")
            let report = try repo.report(fixed)
            let docs = try #require(report["docs"] as? [String: Any])
            let results = try #require(docs["results"] as? [[String: Any]])
            #expect(results.map { $0["status"] as? String } == ["generated", "generated", "generated"])
            // 1 initial + 3 fixes + 1 docs commit holding all three docs.
            #expect(try await repo.commitCount() == 5)
            let docsCommit = try await repo.fixture.git("log", "-1", "--format=", "--name-only").split(separator: "\n").sorted()
            #expect(docsCommit == (0..<3).map { Self.docName("src/pkg/fixable_\($0).py") }.map { Substring($0) })
            for index in 0..<3 {
                let path = "src/pkg/fixable_\(index).py"
                let doc = try String(contentsOfFile: repo.root + "/" + Self.docName(path), encoding: .utf8)
                #expect(doc.hasPrefix(try await Self.expectedHeader(repo, path) + "\n"))
                #expect(doc.contains("total_\(index)"), "the outline names the function")
            }
            #expect(try await repo.status().isEmpty)

            let again = try await repo.stomper("docgen", "src", "--json")
            #expect(again.exitCode == 0, "\(again.stderrText)")
            let second = try #require(try repo.json(again) as? [String: Any])
            let statuses = (second["results"] as? [[String: Any]] ?? []).map { $0["status"] as? String }
            #expect(statuses == ["noop", "noop", "noop"])
            #expect(second["commit"] == nil || second["commit"] is NSNull)
            #expect(try await repo.commitCount() == 5)

            let status = try await repo.stomper("docgen", "status", "--json")
            let history = try #require(try repo.json(status) as? [String: Any])
            #expect((history["results"] as? [[String: Any]])?.count == 6)
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
