import Foundation
import StomperProcess
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct LinterSetTests {
    @Test func mergesTheDiagnosticsOfTwoRealLinters() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(
                at: dir + "/repo",
                files: [
                    "pyproject.toml": PythonSamples.pyproject, "b.py": PythonSamples.unfixable(2),
                    "run.sh": "#!/bin/sh\necho $1\n",
                ])
            let set = try LinterSet([RuffLinter(), ShellcheckLinter()])
            #expect(set.name == "ruff+shellcheck")
            let merged = try await set.lint(paths: [], root: fixture.root)
            let ruff = try await RuffLinter().lint(paths: [], root: fixture.root)
            let shellcheck = try await ShellcheckLinter().lint(paths: [], root: fixture.root)
            #expect(!ruff.isEmpty && !shellcheck.isEmpty)
            #expect(merged == (ruff + shellcheck).sorted())
            #expect(Set(merged.map(\.tool)) == ["ruff", "shellcheck"])
        }
    }

    @Test func reportsEachVersionAndACanonicalText() async throws {
        let set = try LinterSet([ShellcheckLinter(), RuffLinter()])
        let versions = try await set.versions()
        let ruff = try await RuffLinter().version()
        let shellcheck = try await ShellcheckLinter().version()
        #expect(versions == ["ruff": ruff, "shellcheck": shellcheck])
        #expect(try await set.version() == "ruff=\(ruff); shellcheck=\(shellcheck)")
    }

    @Test func duplicateNamesAndAnEmptySetAreRejected() {
        #expect {
            _ = try LinterSet([RuffLinter(), MypyLinter(), RuffLinter()])
        } throws: { error in
            (error as? QualityError)?.code == .badConfiguration && (error as? QualityError)?.message.contains("`ruff`") == true
        }
        #expect { _ = try LinterSet([]) } throws: { ($0 as? QualityError)?.code == .badConfiguration }
    }

    @Test func aFailingLinterIsNamedInTheError() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 1\n"])
            let set = try LinterSet([RuffLinter(), try PatternLinter(name: "custom", command: ["/bin/sh", "-c", "exit 7"])])
            await #expect {
                _ = try await set.lint(paths: [], root: fixture.root)
            } throws: { error in
                guard let error = error as? QualityError else { return false }
                return error.tool == "custom" && error.message.hasPrefix("custom") && error.exitStatus == 7
            }
        }
    }

    @Test func fixCommandsComeFromEachLinterInOrder() throws {
        let set = try LinterSet([RuffLinter(), MypyLinter(), RuffFormatLinter()])
        let commands = set.fixCommands(path: "a.py", root: "/repo")
        #expect(commands.map(\.linter) == ["ruff", "ruff-format"])
        #expect(commands[1].command.spec.arguments.first == "format" && commands[1].command.spec.arguments.last == "a.py")
        #expect(set.fixCommand(path: "a.py", root: "/repo") == nil)
    }
}
