import Foundation
import Logging
import StomperCore
import StomperGit
import StomperLedger
import StomperTestSupport
import Testing

/// The calls a front end other than the CLI makes (an MCP server): open a workspace, check,
/// prepare and run a fix, read the run back. A shell script stands for the linter and another
/// for the agent, so no tool needs to be installed.
@Suite(.tags(.unit), .timeLimit(.minutes(2))) struct WorkspaceRunTests {
    static func script(_ path: String, _ text: String) throws {
        try Data(("#!/bin/sh\n" + text).utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    @Test func aFixPreparedByTheWorkspaceLandsAndIsInItsHistory() async throws {
        try await withTemporaryDirectory { dir in
            // `file:line:col: code message` for every line with "bad"; no paths: every tracked .py file.
            try Self.script(
                dir + "/words.sh",
                """
                [ $# -eq 0 ] && set -- $(git ls-files '*.py')
                for f in "$@"; do grep -n bad "$f" | while IFS=: read -r line rest; do echo "$f:$line:1: W1 a bad word"; done; done
                exit 0
                """)
            try Self.script(dir + "/fixer.sh", "sed -i 's/bad/good/' \"$1\"\n")
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 'bad'\n", "b.py": "y = 1\n"])
            var configuration = StomperConfiguration()
            configuration.linters = []
            configuration.patterns = [.init(name: "words", command: [dir + "/words.sh"])]
            configuration.agent = .command
            configuration.command = [dir + "/fixer.sh", "{file}"]
            configuration.sandbox = .none
            configuration.interactive = false
            configuration.backoffBaseMilliseconds = 0
            var logger = Logger(label: "stomper-test")
            logger.logLevel = .critical
            let workspace = Workspace(repository: try GitRepository.discover(from: fixture.root), configuration: configuration, logger: logger)

            let checked = try await workspace.check()
            #expect(checked.plan.jobs.map(\.path) == ["a.py"])
            #expect(checked.fixers.count == 1)

            let prepared = try await workspace.prepareFix(RunRequest(parallel: 1))
            #expect(prepared.pipeline.configuration.maxParallelFiles == 1)
            let completed = try await prepared.run()
            #expect(completed.summary.count(.fixed) == 1, "\(completed.summary.outcomes)")
            #expect(try fixture.read("a.py") == "x = 'good'\n")

            let history = try workspace.history()
            let state = try await history.state(of: try await history.run("latest"), files: true)
            #expect(state.id == completed.runID && state.status == "completed")
            #expect(state.jobs.landed == 1 && state.files?.count == 1)
            #expect(try await history.current()?.id == completed.runID)
        }
    }
}
