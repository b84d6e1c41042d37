@testable import StomperCLI
import StomperCore
import StomperTestSupport
import Testing

/// The CLI's coded errors and the library's input errors keep the `--json` code they had as
/// `ConfigError` (`invalid_input`); other library errors keep theirs.
@Suite(.tags(.unit)) struct CLIErrorTests {
    @Test func inputErrorsAreInvalidInput() {
        let errors: [any Error] = [
            CLIError.badFlag(flag: "--level", value: "loud", expected: "is not a level: use debug, info, warning or error"),
            CLIError.conflictingFlags(flag: "--all", other: "--run", why: "--all shows every run; it cannot be combined with --run x"),
            CoreError(.agentUnavailable, "the claude agent needs `claude`, which is not on PATH", subject: "claude"),
            CoreError(.invalidSetting, "fix.parallel = 0 in stomper.toml is out of range", subject: "fix.parallel"),
            CoreError(.runBlocked, "run r is unfinished"),
        ]
        for error in errors { #expect(JSONStyle.code(error) == "invalid_input", "\(error)") }
        #expect(JSONStyle.code(CoreError(.badRecord, "unreadable")) == "run_bad_record")
        #expect(JSONStyle.code(CoreError(.badConfiguration, "verify.test_command is empty")) == "run_bad_configuration")
    }

    @Test func descriptionsNameTheInputAndTheFix() {
        #expect(CLIError.badFlag(flag: "--max-files", value: "0", expected: "must be at least 1").description == "--max-files 0 must be at least 1")
        #expect(
            CLIError.missingOutput(command: "stomper report", flag: "--html FILE").description == "stomper report needs an output: pass --html FILE")
        #expect(
            CLIError.unwritable(action: "append to", path: "/x/pyproject.toml", reason: "denied", hint: "").description
                == "cannot append to /x/pyproject.toml: denied")
        #expect(CLIError.missingPyproject(path: "/x/pyproject.toml").description.contains("without --pyproject"))
    }
}
