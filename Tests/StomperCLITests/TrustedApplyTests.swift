import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// The trusted half of `Demos/ci/github-untrusted-patches.yml`, its two scripts run as the runner
/// runs them (bash, in the job's folder, with the step's env): real patches from `stomper fix
/// --patches` are applied and pushed; an artifact the untrusted job forged — it runs as the pull
/// request defines it — is refused before anything is applied, and nothing is pushed.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct TrustedApplyTests {
    static let workflow = CIWorkflowTests.root + "/Demos/ci/github-untrusted-patches.yml"

    /// The `run:` scripts of the apply job, by step name.
    static func applySteps() async throws -> [String: String] {
        let read = try await shell(
            """
            python3 -c 'import json, sys, yaml; steps = list(yaml.safe_load_all(open(sys.argv[1])))[1]["jobs"]["apply"]["steps"]; \
            print(json.dumps({s["name"]: s["run"] for s in steps if "run" in s}))' '\(workflow)'
            """)
        try #require(read.exitCode == 0, "\(read.stderrText)")
        return try #require(try JSONSerialization.jsonObject(with: Data(read.stdoutText.utf8)) as? [String: String])
    }

    static func shell(_ command: String, in directory: String? = nil, environment: [String: String?] = [:]) async throws -> ProcessResult {
        try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/bash", arguments: ["-c", command], workingDirectory: directory,
                environment: environment, timeout: .seconds(120)))
    }

    struct Setup {
        var dir: String
        var origin: String
        var head: String
        var out: String
        var steps: [String: String]

        /// A job folder as the workflow lays it out: `patches/` (the artifact) and `repo/` (the
        /// checkout of the pull request's commit, detached, with `origin`).
        func job(_ name: String, patches: String) async throws -> String {
            let job = dir + "/" + name
            let made = try await shell(
                """
                mkdir -p '\(job)' && cp -r '\(patches)' '\(job)/patches' && git clone -q 'file://\(origin)' '\(job)/repo' \
                && git -C '\(job)/repo' checkout -q --detach '\(head)'
                """)
            try #require(made.exitCode == 0, "\(made.stderrText)")
            return job
        }

        /// Runs the check step, then (when it passed) the apply step.
        func run(_ job: String, headSHA: String? = nil) async throws -> (check: ProcessResult, apply: ProcessResult?) {
            let environment: [String: String?] = ["HEAD_SHA": headSHA ?? head]
            let check = try await shell(try #require(steps["Check the patches"]), in: job, environment: environment)
            guard check.exitCode == 0 else { return (check, nil) }
            return (check, try await shell(try #require(steps["Apply with git am and push"]), in: job, environment: environment))
        }

        func branches() async throws -> String {
            try await shell("git --git-dir '\(origin)' for-each-ref --format='%(refname)' 'refs/heads/stomper/fix-*'").stdoutText
        }

        /// A copy of the artifact with `patch` (a commit made on HEAD in a scratch clone) added to
        /// its manifest as the attacker would: valid name, right checksum, listing `paths`.
        func forged(_ name: String, change: String, paths: [String]) async throws -> String {
            let folder = dir + "/" + name
            let scratch = dir + "/scratch-" + name
            let made = try await shell(
                """
                set -e
                cp -r '\(out)' '\(folder)'
                git clone -q 'file://\(origin)' '\(scratch)' && cd '\(scratch)' && git checkout -q --detach '\(head)'
                git config user.name x && git config user.email x@example.com
                \(change)
                git add -A && git commit -q -m 'fix(ruff): src/pkg/fixable_0.py: fix 1 diagnostic (F401)'
                git format-patch -q -1 --stdout > '\(folder)/0009-fix-ruff-forged.patch'
                """)
            try #require(made.exitCode == 0, "\(made.stderrText)")
            let manifestPath = folder + "/manifest.json"
            var manifest = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
            let sum = try await shell("sha256sum '\(folder)/0009-fix-ruff-forged.patch' | cut -d ' ' -f 1")
            var patches = manifest["patches"] as? [[String: Any]] ?? []
            patches.append([
                "file": "0009-fix-ruff-forged.patch", "paths": paths, "sha256": sum.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines),
                "subject": "forged", "key": NSNull(), "commit": String(repeating: "0", count: 40), "parent": head,
            ])
            manifest["patches"] = patches
            try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
            return folder
        }
    }

    static func setup(_ dir: String) async throws -> Setup {
        let repo = try await PythonRepository.create(at: dir + "/pr", fixable: 2)
        let head = try await repo.fixture.head()
        let fixed = try await repo.stomper(["fix", "--branch", "stomper/fixes", "--patches", dir + "/out"])
        try #require(fixed.exitCode == 0, "\(fixed.stdoutText) \(fixed.stderrText)")
        let bare = try await shell("git clone -q --bare '\(repo.root)' '\(dir)/origin.git'")
        try #require(bare.exitCode == 0, "\(bare.stderrText)")
        return Setup(dir: dir, origin: dir + "/origin.git", head: head, out: dir + "/out", steps: try await applySteps())
    }

    @Test func genuinePatchesAreAppliedAndPushedToABranchNamedAfterTheCommit() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Self.setup(dir)
            let job = try await setup.job("genuine", patches: setup.out)
            let (check, apply) = try await setup.run(job)
            #expect(check.exitCode == 0, "\(check.stdoutText) \(check.stderrText)")
            #expect(check.stdoutText.contains("2 patches checked"), "\(check.stdoutText)")
            #expect(apply?.exitCode == 0, "\(apply?.stdoutText ?? "") \(apply?.stderrText ?? "")")
            let manifest = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.out + "/manifest.json"))) as? [String: Any])
            let branch = "stomper/fix-" + setup.head.prefix(12)
            let tree = try await Self.shell("git --git-dir '\(setup.origin)' rev-parse 'refs/heads/\(branch)^{tree}'")
            #expect(tree.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == manifest["tree"] as? String)
            let count = try await Self.shell("git --git-dir '\(setup.origin)' rev-list --count '\(setup.head)..refs/heads/\(branch)'")
            #expect(count.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        }
    }

    @Test func forgedArtifactsAreRefusedBeforeAnythingIsApplied() async throws {
        try await withTemporaryDirectory { dir in
            let setup = try await Self.setup(dir)
            let cases: [(name: String, patches: String, headSHA: String?, reason: String)] = [
                (
                    "workflow",
                    try await setup.forged(
                        "workflow", change: "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/evil.yml",
                        paths: [".github/workflows/evil.yml"]),
                    nil, "does more than change file contents"
                ),
                (
                    "unlisted", try await setup.forged("unlisted", change: "echo 'evil = 1' >> pyproject.toml", paths: ["src/pkg/fixable_0.py"]),
                    nil, "which the manifest does not list"
                ),
                (
                    "gitattributes",
                    try await setup.forged(
                        "gitattributes",
                        change: "echo '* text' > .gitattributes && git add .gitattributes "
                            + "&& git commit -qm base && echo '*.py filter=x' >> .gitattributes",
                        paths: [".gitattributes"]),
                    nil, "stomper never fixes .git* files"
                ),
                (
                    "mode", try await setup.forged("mode", change: "chmod +x src/pkg/fixable_0.py", paths: ["src/pkg/fixable_0.py"]),
                    nil, "does more than change file contents"
                ),
                ("other-commit", setup.out, String(repeating: "a", count: 40), "the patches were made on"),
            ]
            for item in cases {
                let job = try await setup.job("job-" + item.name, patches: item.patches)
                let (check, apply) = try await setup.run(job, headSHA: item.headSHA)
                #expect(check.exitCode != 0 && apply == nil, "\(item.name): \(check.stdoutText)")
                #expect(
                    check.stderrText.contains("stomper apply: refused: ") && check.stderrText.contains(item.reason),
                    "\(item.name): \(check.stderrText)")
                #expect(try await Self.shell("git -C '\(job)/repo' rev-parse HEAD").stdoutText.hasPrefix(setup.head))
            }
            // A patch that does not match its checksum, or one the manifest does not list.
            let tampered = try await setup.job("job-tampered", patches: setup.out)
            let first = try #require(
                try FileManager.default.contentsOfDirectory(atPath: tampered + "/patches").sorted().first { $0.hasSuffix(".patch") })
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tampered + "/patches/" + first))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("+evil\n".utf8))
            try handle.close()
            let (check, _) = try await setup.run(tampered)
            #expect(check.exitCode != 0 && check.stderrText.contains("checksum mismatch"), "\(check.stderrText)")
            let unlisted = try await setup.job("job-unlisted-file", patches: setup.out)
            try Data("From 0\n".utf8).write(to: URL(fileURLWithPath: unlisted + "/patches/0099-extra.patch"))
            let (extra, _) = try await setup.run(unlisted)
            #expect(extra.exitCode != 0 && extra.stderrText.contains("patches not in the manifest"), "\(extra.stderrText)")
            #expect(try await setup.branches().isEmpty, "nothing was pushed")
            // The same check finds the genuine artifact's branch once it is pushed.
            _ = try await setup.run(try await setup.job("job-genuine", patches: setup.out))
            #expect(try await setup.branches() == "refs/heads/stomper/fix-\(setup.head.prefix(12))\n")
        }
    }
}
