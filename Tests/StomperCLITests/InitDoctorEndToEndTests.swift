import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `stomper init` on real project layouts, `[tool.stomper]` in pyproject.toml, and `stomper doctor`
/// on a sound repository and on broken ones.
@Suite(.tags(.e2e)) struct InitDoctorEndToEndTests {
    static let pyproject =
        PythonSamples.pyproject + """

            [tool.mypy]
            strict = true

            """
    /// SC2086 (unquoted variable), a shellcheck finding ruff never reports.
    static let script = "#!/bin/sh\necho $1\n"

    static func settings(_ repo: PythonRepository, environment: [String: String?] = [:]) async throws -> ([String: Any], String) {
        let result = try await repo.stomper(["config", "dump", "--json"], environment: environment)
        #expect(result.exitCode == 0, "\(result.stderrText)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
        return (try #require(object["settings"] as? [String: Any]), result.stderrText)
    }

    static func value(_ settings: [String: Any], _ key: String) -> (Any?, String?) {
        let entry = settings[key] as? [String: Any]
        return (entry?["value"], entry?["source"] as? String)
    }

    /// pyproject with [tool.ruff] and [tool.mypy] plus a shell script: init enables all three, names
    /// the agent CLI on PATH and that its key is set (never the key), and `config dump` reads the
    /// file back. A second init refuses to overwrite (exit 2, naming the file); --force replaces it.
    @Test func initWritesAConfigThatConfigDumpReadsBack() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo", fixable: 1,
                extra: ["pyproject.toml": Self.pyproject, "scripts/deploy.sh": Self.script])
            // The scripted mock agent stands in for an installed `claude`.
            try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            let mock = URL(fileURLWithPath: StomperBinary.path).deletingLastPathComponent().appendingPathComponent("stomper-mock-agent").path
            try FileManager.default.createSymbolicLink(atPath: dir + "/bin/claude", withDestinationPath: mock)
            let secret = "sk-ant-test-0123456789-do-not-print"
            let environment: [String: String?] = [
                "PATH": dir + "/bin:/usr/bin:/bin", "ANTHROPIC_API_KEY": secret,
                "CLAUDE_CODE_OAUTH_TOKEN": nil, "ANTHROPIC_AUTH_TOKEN": nil,
            ]
            let result = try await repo.stomper(["init"], environment: environment)
            #expect(result.exitCode == 0, "\(result.stdoutText) \(result.stderrText)")
            #expect(result.stdoutText.contains("ruff (pyproject.toml [tool.ruff])"))
            #expect(result.stdoutText.contains("mypy (pyproject.toml [tool.mypy])"))
            #expect(result.stdoutText.contains("shellcheck (1 shell script)"))
            #expect(result.stdoutText.contains("claude at \(dir)/bin/claude (ANTHROPIC_API_KEY set)"))
            let written = try String(contentsOfFile: repo.root + "/stomper.toml", encoding: .utf8)
            #expect(!(result.stdoutText + result.stderrText + written).contains(secret), "a credential's value is never shown")
            #expect(written.contains("# chain = [\"autofix\", \"claude\"]"))
            let (settings, _) = try await Self.settings(repo)
            let (enabled, source) = Self.value(settings, "linters.enabled")
            #expect(enabled as? [String] == ["ruff", "mypy", "shellcheck"])
            #expect(source == "stomper.toml")
            #expect(Self.value(settings, "fix.agent").0 as? String == "autofix")

            try Data("[fix]\nparallel = 7\n".utf8).write(to: URL(fileURLWithPath: repo.root + "/stomper.toml"))
            let again = try await repo.stomper(["init"], environment: environment)
            #expect(again.exitCode == 2)
            #expect(again.stderrText.contains(repo.root + "/stomper.toml already exists") && again.stderrText.contains("--force"))
            #expect(try String(contentsOfFile: repo.root + "/stomper.toml", encoding: .utf8) == "[fix]\nparallel = 7\n", "nothing overwritten")
            let forced = try await repo.stomper(["init", "--force"], environment: environment)
            #expect(forced.exitCode == 0)
            #expect(
                try String(contentsOfFile: repo.root + "/stomper.toml", encoding: .utf8).contains("enabled = [\"ruff\", \"mypy\", \"shellcheck\"]"))
        }
    }

    /// `init --pyproject` appends [tool.stomper] and keeps every byte before it; `check` then runs
    /// shellcheck (not a default linter) because the table says so; a second one refuses.
    @Test func initPyprojectAppendsATableThatCheckUses() async throws {
        try await withTemporaryDirectory { dir in
            let original = PythonSamples.pyproject + "# a comment the user wrote, kept as it is\n[project]\nname = \"demo\""
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["pyproject.toml": original, "run.sh": Self.script])
            let before = try await repo.stomper(["check"])
            #expect(!before.stdoutText.contains("SC2086"), "the control: shellcheck is off by default")
            let result = try await repo.stomper(["init", "--pyproject"])
            #expect(result.exitCode == 0, "\(result.stderrText)")
            #expect(!FileManager.default.fileExists(atPath: repo.root + "/stomper.toml"))
            let text = try String(contentsOfFile: repo.root + "/pyproject.toml", encoding: .utf8)
            #expect(text.hasPrefix(original + "\n\n"), "the file's own text is untouched, the table appended after it")
            #expect(text.contains("[tool.stomper.linters]\n"))
            let check = try await repo.stomper(["check"])
            #expect(check.stdoutText.contains("SC2086"), "\(check.stdoutText) \(check.stderrText)")
            let (settings, _) = try await Self.settings(repo)
            #expect(Self.value(settings, "linters.enabled").1 == "pyproject.toml [tool.stomper]")
            let again = try await repo.stomper(["init", "--pyproject"])
            #expect(again.exitCode == 2)
            #expect(again.stderrText.contains("already has a [tool.stomper] table"))
            #expect(try String(contentsOfFile: repo.root + "/pyproject.toml", encoding: .utf8) == text)
        }
    }

    /// Both files: stomper.toml wins, with one warning; without it the table is read; a typo in
    /// the table is an error naming it.
    @Test func stomperTomlWinsOverPyproject() async throws {
        try await withTemporaryDirectory { dir in
            let pyproject = PythonSamples.pyproject + "\n[tool.stomper.fix]\nparallel = 3\n"
            let repo = try await PythonRepository.create(
                at: dir + "/repo", extra: ["pyproject.toml": pyproject, "stomper.toml": "[fix]\nparallel = 5\n"])
            let (both, warnings) = try await Self.settings(repo)
            #expect(Self.value(both, "fix.parallel").0 as? Int == 5)
            #expect(Self.value(both, "fix.parallel").1 == "stomper.toml")
            #expect(warnings.components(separatedBy: "[tool.stomper] table, which is ignored").count == 2, "warned once: \(warnings)")
            try FileManager.default.removeItem(atPath: repo.root + "/stomper.toml")
            let (only, quiet) = try await Self.settings(repo)
            #expect(Self.value(only, "fix.parallel").0 as? Int == 3)
            #expect(Self.value(only, "fix.parallel").1 == "pyproject.toml [tool.stomper]")
            #expect(!quiet.contains("ignored"))
            let dump = try await repo.stomper(["config", "dump"])
            #expect(dump.stdoutText.contains("# file: \(repo.root)/pyproject.toml [tool.stomper]"))
            try Data((pyproject + "paralel = 2\n").utf8).write(to: URL(fileURLWithPath: repo.root + "/pyproject.toml"))
            let typo = try await repo.stomper(["config", "dump"])
            #expect(typo.exitCode == 2)
            #expect(typo.stderrText.contains("unknown key \"paralel\" in [fix] of \(repo.root)/pyproject.toml [tool.stomper]"), "\(typo.stderrText)")
        }
    }

    /// A sound repository (after a run made its ledger): every check ok, exit 0, JSON with
    /// snake_case keys and unescaped slashes.
    @Test func doctorIsHappyWithASoundRepository() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let fix = try await repo.stomper(["fix"])
            #expect(fix.exitCode == 0, "\(fix.stderrText)")
            let result = try await repo.stomper(["doctor"])
            #expect(result.exitCode == 0, "\(result.stdoutText) \(result.stderrText)")
            for name in ["git", "libgit2", "ruff", "agent autofix", "sandbox", "ledger", "permissions"] {
                #expect(result.stdoutText.contains("ok       \(name): "), "\(name): \(result.stdoutText)")
            }
            #expect(result.stdoutText.contains("integrity ok, schema v"))
            let json = try await repo.stomper(["doctor", "--json"])
            #expect(json.exitCode == 0)
            #expect(json.stdoutText.contains("/stomper/state.sqlite") && !json.stdoutText.contains("\\/"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput)) as? [String: Any])
            #expect(object["ok"] as? Bool == true)
            #expect((object["checks"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String != "problem" } == true)
        }
    }

    /// A configured linter missing from PATH, a corrupted ledger and loose permissions: each a
    /// problem with the command that fixes it, exit 1.
    @Test func doctorNamesProblemsAndTheirFixes() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let missing = try await repo.stomper(["doctor"], environment: ["STOMPER_LINTERS_RUFF_EXECUTABLE": "ruff-not-installed-here"])
            #expect(missing.exitCode == 1)
            #expect(missing.stdoutText.contains("problem  ruff: `ruff-not-installed-here` is not on PATH"))
            #expect(missing.stdoutText.contains("fix: pip install ruff"))

            let folder = repo.root + "/.git/stomper"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: folder + "/state.sqlite"))
            chmod(folder + "/state.sqlite", 0o644)
            chmod(folder, 0o755)
            let json = try await repo.stomper(["doctor", "--json"])
            #expect(json.exitCode == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput)) as? [String: Any])
            #expect(object["ok"] as? Bool == false)
            let checks = try #require(object["checks"] as? [[String: Any]])
            let ledger = try #require(checks.first { $0["name"] as? String == "ledger" })
            #expect(ledger["status"] as? String == "problem")
            #expect((ledger["fix"] as? String)?.hasPrefix("mv '\(folder)/state.sqlite'") == true, "\(ledger)")
            let permissions = try #require(checks.first { $0["name"] as? String == "permissions" })
            #expect(permissions["status"] as? String == "problem")
            #expect(
                (permissions["fix"] as? String)?.hasPrefix("chmod 700 '\(folder)' && chmod 600 '\(folder)/state.sqlite'") == true, "\(permissions)")
        }
    }
}
