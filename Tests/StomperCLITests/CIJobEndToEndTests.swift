import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// A GitHub Actions pull-request job as one piece, on this machine: a shallow, detached, dirty
/// checkout, `CI=true GITHUB_ACTIONS=true`, the step summary and outputs in temporary files, no
/// terminal. `stomper fix --branch stomper/fixes --patches out` must leave the checkout as it was,
/// put one verified commit per file on the branch, annotate what is left in GitHub's syntax, append
/// a summary table, set the outputs, and write patches that `git am` in another clone turns into the
/// same tree; run again on the branch's tip, the loop guard does nothing.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct CIJobEndToEndTests {
    @Test func aPullRequestJobFixesOntoABranchAnnotatesAndHandsOverPatches() async throws {
        try await withTemporaryDirectory { dir in
            let origin = try await PythonRepository.create(at: dir + "/origin", fixable: 3, unfixable: 1)
            try await origin.fixture.git("checkout", "-q", "-b", "feature")
            try origin.fixture.write(["README.md": "the pull request's commit\n"])
            try await origin.fixture.commitAll("the pull request")
            func shallowClone(_ name: String) async throws -> GitFixture {
                let cloned = try await ProcessRunner.run(
                    ProcessSpec(
                        executable: "git",
                        arguments: ["clone", "-q", "--depth", "1", "--branch", "feature", "file://" + origin.root, dir + "/" + name],
                        workingDirectory: dir, timeout: .seconds(60)))
                #expect(cloned.exitCode == 0, "\(cloned.stderrText)")
                let fixture = GitFixture(root: dir + "/" + name)
                try await fixture.git("config", "user.name", "CI")
                try await fixture.git("config", "user.email", "ci@example.com")
                try await fixture.git("checkout", "-q", "--detach")
                return fixture
            }
            let checkout = try await shallowClone("ci")
            let repo = PythonRepository(fixture: checkout)
            let head = try await checkout.head()
            // Dirty: an edit to a file stomper fixes, and an untracked file.
            let edited = checkout.root + "/src/pkg/fixable_1.py"
            try Data((try String(contentsOfFile: edited, encoding: .utf8) + "# the contributor's uncommitted line\n").utf8)
                .write(to: URL(fileURLWithPath: edited))
            try checkout.write(["notes.txt": "not committed\n"])
            let before = BranchModeEndToEndTests.snapshot(checkout.root)
            let status = try await checkout.git("status", "--porcelain=v1")

            let summaryFile = dir + "/step-summary.md"
            let outputFile = dir + "/output"
            try Data("## earlier step\n".utf8).write(to: URL(fileURLWithPath: summaryFile))
            #expect(FileManager.default.createFile(atPath: outputFile, contents: nil))
            let github: [String: String?] = [
                "CI": "true", "GITHUB_ACTIONS": "true", "STOMPER_CI": nil, "GITLAB_CI": nil, "BUILDKITE": nil,
                "GITHUB_STEP_SUMMARY": summaryFile, "GITHUB_OUTPUT": outputFile,
                "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "acme/widgets",
            ]
            let result = try await repo.stomper(["fix", "--branch", "stomper/fixes", "--patches", dir + "/out"], environment: github)
            // 1: the unfixable file's diagnostics are left for an agent.
            #expect(result.exitCode == 1, "\(result.stdoutText) \(result.stderrText)")

            // The checkout: HEAD detached where it was, every byte (dirty files, index) unchanged.
            #expect(try await checkout.head() == head)
            #expect(try await checkout.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD\n")
            #expect(BranchModeEndToEndTests.snapshot(checkout.root) == before)
            #expect(try await checkout.git("status", "--porcelain=v1") == status)

            // The branch: one verified commit per fixable file, on top of HEAD.
            let commits = try await checkout.git("rev-list", "--reverse", "\(head)..stomper/fixes").split(separator: "\n").map(String.init)
            #expect(commits.count == 3)
            for commit in commits {
                let touched = try await checkout.git("show", "--name-only", "--format=", commit).split(separator: "\n").map(String.init)
                #expect(touched.count == 1)
                for path in touched { #expect(try await BranchModeEndToEndTests.ruffIsClean(checkout, commit, path), "\(path)") }
            }

            // Annotations in GitHub's syntax for what is left, each file's detail in a group, plain lines.
            let lines = result.stdoutText.split(separator: "\n").map(String.init)
            let annotations = lines.filter { $0.hasPrefix("::error ") }
            #expect(!annotations.isEmpty)
            for annotation in annotations {
                #expect(
                    annotation.range(
                        of: #"^::error file=src/pkg/unfixable_0\.py,line=\d+,col=\d+,(endLine=\d+,endColumn=\d+,)?title=[^:]+::.+"#,
                        options: .regularExpression) != nil, "\(annotation)")
            }
            #expect(lines.contains { $0.hasPrefix("::group::") } && lines.contains("::endgroup::"))
            #expect(!result.stdoutText.contains("\u{1b}[") && !result.stdoutText.contains("\r"))

            // The job summary is appended, with a table row per file and links to the commits.
            let summary = try String(contentsOfFile: summaryFile, encoding: .utf8)
            #expect(summary.hasPrefix("## earlier step\n"))
            for path in ["src/pkg/fixable_0.py", "src/pkg/fixable_1.py", "src/pkg/fixable_2.py", "src/pkg/unfixable_0.py"] {
                #expect(summary.contains("| \(CIReportsEndToEndTests.code(path)) |"), "\(path) in \(summary)")
            }
            for commit in commits { #expect(summary.contains("https://github.example/acme/widgets/commit/\(commit)"), "\(commit)") }

            // The outputs.
            var outputs: [String: String] = [:]
            for line in try String(contentsOfFile: outputFile, encoding: .utf8).split(separator: "\n") where !line.contains("<<") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { outputs[parts[0]] = parts[1] }
            }
            #expect(outputs["fixed"] == "3" && outputs["failed"] == "0" && outputs["needs_agent"] == "1", "\(outputs)")
            #expect(outputs["branch"] == "stomper/fixes")
            #expect(Set((outputs["commits"] ?? "").split(separator: " ").map(String.init)) == Set(commits))

            // The patches, applied with `git am` in another clone of the pull request, give the same tree.
            let manifestData = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))
            let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
            let patches = try #require(manifest["patches"] as? [[String: Any]])
            #expect(patches.count == 3)
            let trusted = try await shallowClone("trusted")
            for patch in patches {
                let file = try #require(patch["file"] as? String)
                let applied = try await trusted.git("am", "-q", "--keep-cr", dir + "/out/" + file)
                #expect(applied.isEmpty, "\(applied)")
            }
            #expect(try await trusted.git("rev-parse", "HEAD^{tree}") == (try await checkout.git("rev-parse", "stomper/fixes^{tree}")))
            #expect(try await trusted.git("log", "-1", "--format=%B").contains("Stomper-Run: "))

            // The next job runs on the branch's tip (stomper's own commit): the loop guard stops it.
            let again = try await shallowClone("next")
            try await again.git("fetch", "-q", checkout.root, "stomper/fixes")
            try await again.git("checkout", "-q", "--detach", "FETCH_HEAD")
            let tip = try await again.head()
            try Data().write(to: URL(fileURLWithPath: outputFile))
            let guarded = try await PythonRepository(fixture: again).stomper(
                ["fix", "--branch", "stomper/fixes", "--sarif", dir + "/guarded.sarif"], environment: github)
            #expect(guarded.exitCode == 0, "\(guarded.stdoutText) \(guarded.stderrText)")
            #expect(guarded.stdoutText.contains("stomper's own commit"), "\(guarded.stdoutText)")
            // The steps after it still find their inputs: outputs saying why, an empty SARIF report.
            let guardedOutputs = try String(contentsOfFile: outputFile, encoding: .utf8)
            #expect(guardedOutputs.contains("skipped=own-head\n") && guardedOutputs.contains("fixed=0\n"), "\(guardedOutputs)")
            let sarif = try Data(contentsOf: URL(fileURLWithPath: dir + "/guarded.sarif"))
            #expect(try await SarifSchema.errors(sarif, in: dir).isEmpty)
            #expect(try await again.head() == tip)
            #expect(try await again.git("branch", "--list", "stomper/fixes").isEmpty)
        }
    }
}
