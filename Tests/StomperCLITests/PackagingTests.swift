import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `scripts/package.sh` on the suite's own (debug) build: the tarball and the wheel must run where
/// neither the Swift runtime nor the system's libgit2 can be loaded, and the GitHub Action
/// (`action.yml`) installs the tarball and runs `stomper fix` with it. The release packaging is the
/// same script with a release build (docs/INSTALL.md has its figures).
@Suite(.tags(.e2e, .slow), .timeLimit(.minutes(10))) struct PackagingTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// What `package.sh --debug` made, once per test process (the tests share it).
    struct Packaged: Sendable {
        var folder: String
        var tarball: String
        var wheel: String
    }

    static let packaged = Task<Packaged, any Error> {
        // Under .build (ignored by git), replaced by each run of the suite.
        let folder = repositoryRoot + "/.build/packaging-test"
        try? FileManager.default.removeItem(atPath: folder)
        let binaries = URL(fileURLWithPath: StomperBinary.path).deletingLastPathComponent().path
        let result = try await shell("bash scripts/package.sh --debug --bin '\(binaries)' --out '\(folder)'", in: repositoryRoot)
        guard result.exitCode == 0 else { throw PackagingFailure(text: result.stdoutText + result.stderrText) }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        guard let tarball = files.first(where: { $0.hasSuffix(".tar.gz") }), let wheel = files.first(where: { $0.hasSuffix(".whl") }) else {
            throw PackagingFailure(text: "package.sh made \(files)")
        }
        return Packaged(folder: folder, tarball: tarball, wheel: wheel)
    }

    struct PackagingFailure: Error, CustomStringConvertible {
        var text: String
        var description: String { "scripts/package.sh failed: \(text)" }
    }

    static func shell(
        _ command: String, in directory: String? = nil, environment: [String: String?] = [:],
        timeout: Duration = .seconds(300)
    ) async throws -> ProcessResult {
        try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/bash", arguments: ["-c", command], workingDirectory: directory,
                environment: environment, timeout: timeout))
    }

    /// A bubblewrap command line that runs its argument with the folder of the Swift runtime the
    /// suite's binary loads replaced by an empty one and the system libgit2 replaced by an empty
    /// file: whatever runs inside must bring its own.
    static func withoutSwiftOrLibgit2() async throws -> String {
        let ldd = try await shell("ldd '\(StomperBinary.path)'")
        #expect(ldd.exitCode == 0)
        func resolved(_ library: String) throws -> String {
            let line = try #require(ldd.stdoutText.split(separator: "\n").first { $0.contains(library) && $0.contains("=>") })
            let path = String(try #require(line.split(separator: " ").first { $0.hasPrefix("/") }))
            return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        }
        let swiftRuntime = URL(fileURLWithPath: try resolved("libswiftCore.so")).deletingLastPathComponent().path
        let libgit2 = try resolved("libgit2.so")
        return "bwrap --dev-bind / / --tmpfs '\(swiftRuntime)' --ro-bind /dev/null '\(libgit2)' env -u LD_LIBRARY_PATH"
    }

    /// The suite's own binary's `--version`, after checking that the commit it names is one of
    /// this repository's: the packaged binaries must say the same.
    static func builtVersion() async throws -> String {
        let version = try await StomperBinary.run(["--version"], in: repositoryRoot).stdoutText
        let commit = try #require(version.firstMatch(of: /\(commit ([0-9a-f]{12})(-dirty)?,/)?.1)
        let known = try await shell("git cat-file -e '\(commit)^{commit}'", in: repositoryRoot)
        #expect(known.exitCode == 0, "\(version) names no commit of this repository")
        return version
    }

    @Test func theTarballRunsWithoutSwiftOrLibgit2() async throws {
        let packaged = try await Self.packaged.value
        #expect(packaged.tarball.range(of: #"^stomper-[0-9.]+-linux-(x86_64|aarch64)\.tar\.gz$"#, options: .regularExpression) != nil)
        let checked = try await Self.shell("sha256sum -c '\(packaged.tarball).sha256'", in: packaged.folder)
        #expect(checked.exitCode == 0, "\(checked.stdoutText) \(checked.stderrText)")
        let sealed = try await Self.withoutSwiftOrLibgit2()
        // The seal works: the suite's own binary cannot start inside it.
        let unsealed = try await Self.shell("\(sealed) '\(StomperBinary.path)' --version")
        #expect(unsealed.exitCode != 0)
        try await withTemporaryDirectory { dir in
            let unpacked = try await Self.shell("tar -C '\(dir)' -xzf '\(packaged.folder)/\(packaged.tarball)'")
            #expect(unpacked.exitCode == 0)
            let home = dir + "/" + packaged.tarball.replacingOccurrences(of: ".tar.gz", with: "")
            #expect(FileManager.default.isExecutableFile(atPath: home + "/bin/stomper-mock-agent"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/lib").contains { $0.hasPrefix("libgit2.so") })
            let version = try await Self.shell("\(sealed) '\(home)/bin/stomper' --version")
            #expect(version.exitCode == 0, "\(version.stderrText)")
            #expect(version.stdoutText.hasPrefix("0."), "\(version.stdoutText)")
            #expect(version.stdoutText == (try await Self.builtVersion()), "\(version.stdoutText)")
            #expect(version.stdoutText.contains(", libgit2 1."), "\(version.stdoutText)")
        }
    }

    /// The wheel, in a fresh virtual environment: `stomper` on the venv's PATH runs the demo.
    @Test func theWheelInstallsIntoAFreshVenvAndRunsTheDemo() async throws {
        let packaged = try await Self.packaged.value
        #expect(
            packaged.wheel.range(
                of: #"^stomper-[0-9.]+-py3-none-manylinux_2_[0-9]+_(x86_64|aarch64)\.whl$"#,
                options: .regularExpression) != nil, "\(packaged.wheel)")
        let sealed = try await Self.withoutSwiftOrLibgit2()
        try await withTemporaryDirectory { dir in
            let installed = try await Self.shell(
                "python3 -m venv venv && venv/bin/pip install --quiet --no-index '\(packaged.folder)/\(packaged.wheel)'",
                in: dir)
            try #require(installed.exitCode == 0, "\(installed.stdoutText) \(installed.stderrText)")
            let version = try await Self.shell("\(sealed) '\(dir)/venv/bin/stomper' --version")
            #expect(version.exitCode == 0, "\(version.stderrText)")
            #expect(version.stdoutText == (try await Self.builtVersion()), "\(version.stdoutText)")
            let demo = try await Self.shell(
                "\(sealed) bash Demos/quickstart.sh '\(dir)/demo'", in: Self.repositoryRoot,
                environment: ["STOMPER_BIN": dir + "/venv/bin/stomper"])
            #expect(demo.exitCode == 1, "\(demo.stdoutText) \(demo.stderrText)")
            #expect(demo.stdoutText.contains("25 fixed, 4 need an agent"), "\(demo.stdoutText)")
        }
    }

    /// `action.yml`'s steps, run as GitHub would run them: the install step fetches the tarball
    /// (checking its SHA-256) and puts its bin/ on the job's PATH; the fix step runs `stomper fix`
    /// with the inputs, and diagnostics left fail the step only with fail-on-remaining.
    @Test func theActionInstallsTheTarballAndRunsFix() async throws {
        let packaged = try await Self.packaged.value
        let action = try await Self.shell(
            """
            python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open("action.yml"))))'
            """, in: Self.repositoryRoot)
        try #require(action.exitCode == 0, "\(action.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(action.stdoutText.utf8)) as? [String: Any])
        let outputs = try #require(document["outputs"] as? [String: [String: String]])
        for name in ["fixed", "failed", "needs_agent", "commits", "branch"] {
            #expect(outputs[name]?["value"] == "${{ steps.fix.outputs.\(name) }}", "output \(name)")
        }
        let steps = try #require((document["runs"] as? [String: Any])?["steps"] as? [[String: Any]])
        #expect(
            steps.compactMap { $0["run"] as? String } == [
                "bash \"$GITHUB_ACTION_PATH/scripts/action/install.sh\"",
                "bash \"$GITHUB_ACTION_PATH/scripts/action/run.sh\"",
            ])
        let version = try #require(packaged.tarball.split(separator: "-").dropFirst().first.map(String.init))
        try await withTemporaryDirectory { dir in
            let made = try await Self.shell("bash Demos/make-demo-repo.sh '\(dir)/demo'", in: Self.repositoryRoot)
            try #require(made.exitCode == 0, "\(made.stderrText)")
            #expect(FileManager.default.createFile(atPath: dir + "/path", contents: nil))
            let runner: [String: String?] = [
                "GITHUB_ACTION_PATH": Self.repositoryRoot, "RUNNER_TEMP": dir, "GITHUB_PATH": dir + "/path",
                "INPUT_VERSION": version, "INPUT_TARBALL": packaged.folder + "/" + packaged.tarball,
            ]
            let install = try await Self.shell("bash \"$GITHUB_ACTION_PATH/scripts/action/install.sh\"", environment: runner)
            #expect(install.exitCode == 0, "\(install.stdoutText) \(install.stderrText)")
            let bin = try String(contentsOfFile: dir + "/path", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(bin.hasPrefix(dir + "/stomper-\(version)/") && bin.hasSuffix("/bin"), "\(bin)")
            #expect(FileManager.default.isExecutableFile(atPath: bin + "/stomper"))

            // The fix step as a GitHub job runs it: in CI, with the step's outputs file.
            var step = runner
            step["PATH"] = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            step["INPUT_PARALLEL"] = "4"
            step["CI"] = "true"
            step["GITHUB_ACTIONS"] = "true"
            for name in ["STOMPER_CI", "GITLAB_CI", "BUILDKITE", "GITHUB_STEP_SUMMARY"] { step.updateValue(nil, forKey: name) }
            step["GITHUB_OUTPUT"] = dir + "/output"
            let fix = try await Self.shell("bash \"$GITHUB_ACTION_PATH/scripts/action/run.sh\"", in: dir + "/demo", environment: step)
            #expect(fix.exitCode == 0, "\(fix.stdoutText) \(fix.stderrText)")
            #expect(fix.stdoutText.contains("25 fixed, 4 need an agent"), "\(fix.stdoutText)")
            #expect(fix.stdoutText.contains("fail-on-remaining is off"))
            let outputs = (try? String(contentsOfFile: dir + "/output", encoding: .utf8)) ?? ""
            // needs_agent counts the files with diagnostics for an agent, as the closing line does.
            let needing = fix.stdoutText.firstMatch(of: /in (\d+) files need an AI agent/).map { String($0.1) }
            #expect(needing != nil && outputs.contains("fixed=25\n") && outputs.contains("needs_agent=\(needing ?? "?")\n"), "\(outputs)")

            // With fail-on-remaining, diagnostics left fail the step (a fresh demo: the first one's
            // HEAD is now stomper's own commit, which the loop guard below leaves alone).
            let again = try await Self.shell("bash Demos/make-demo-repo.sh '\(dir)/demo-strict'", in: Self.repositoryRoot)
            try #require(again.exitCode == 0, "\(again.stderrText)")
            step["INPUT_FAIL_ON_REMAINING"] = "true"
            let strict = try await Self.shell("bash \"$GITHUB_ACTION_PATH/scripts/action/run.sh\"", in: dir + "/demo-strict", environment: step)
            #expect(strict.exitCode == 1, "\(strict.stdoutText) \(strict.stderrText)")
            #expect(strict.stdoutText.contains("25 fixed, 4 need an agent"), "\(strict.stdoutText)")
            // The job that runs on stomper's own commit does nothing and does not fail.
            let guarded = try await Self.shell("bash \"$GITHUB_ACTION_PATH/scripts/action/run.sh\"", in: dir + "/demo", environment: step)
            #expect(guarded.exitCode == 0, "\(guarded.stdoutText) \(guarded.stderrText)")
            #expect((guarded.stdoutText + guarded.stderrText).contains("stomper's own commit"), "\(guarded.stdoutText) \(guarded.stderrText)")

            // More arguments on several lines (a YAML block) are split, never evaluated.
            var extra = step
            extra["INPUT_ARGS"] = "--dry-run --allow-own-head\n--json $(touch \(dir)/evaluated)"
            extra["INPUT_FAIL_ON_REMAINING"] = "false"
            let dry = try await Self.shell("bash \"$GITHUB_ACTION_PATH/scripts/action/run.sh\"", in: dir + "/demo-strict", environment: extra)
            #expect(dry.exitCode == 2, "\(dry.stdoutText) \(dry.stderrText)")
            #expect(dry.stderrText.contains("$(touch"), "the words reach stomper as they are: \(dry.stderrText)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/evaluated"))

            // A tarball that does not match its checksum is refused.
            let copy = dir + "/copy/" + packaged.tarball
            let tampered = try await Self.shell(
                """
                mkdir -p '\(dir)/copy' && cp '\(packaged.folder)/\(packaged.tarball)' '\(copy)' && echo x >> '\(copy)' \
                && cp '\(packaged.folder)/\(packaged.tarball).sha256' '\(copy).sha256' \
                && INPUT_TARBALL='\(copy)' bash "$GITHUB_ACTION_PATH/scripts/action/install.sh"
                """, environment: runner)
            #expect(tampered.exitCode == 2)
            #expect(tampered.stderrText.contains("does not match its .sha256"), "\(tampered.stderrText)")

            // The version names a folder the step replaces: a path is refused before anything is removed.
            var escaping = runner
            escaping["INPUT_VERSION"] = "../../\(URL(fileURLWithPath: dir).lastPathComponent)"
            let refused = try await Self.shell("bash \"$GITHUB_ACTION_PATH/scripts/action/install.sh\"", environment: escaping)
            #expect(refused.exitCode == 2 && refused.stderrText.contains("must be a release number"), "\(refused.stderrText)")
            #expect(FileManager.default.fileExists(atPath: dir + "/demo/.git"))

        }
    }
}
