import Foundation
import StomperProcess
import StomperTestSupport
import Testing

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct LedgerSecretTests {
    /// An agent that writes an API key from its environment into the fix: the landed diff is the
    /// agent's business, but the ledger's attempt diff is redacted and the fix is not cached, so
    /// the key is nowhere in the SQLite files.
    @Test func aSecretInAFixIsNotInTheLedger() async throws {
        try await withTemporaryDirectory { dir in
            let secret = "sk-test-\(UUID().uuidString)"
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: ["src/a.py": "import os\n\n\ndef a() -> int:\n    return 1\n"])
            let agent = dir + "/agent.sh"
            try Data("#!/bin/sh\nsed -i '/^import os$/d' \"$1\"\necho \"# $OPENAI_API_KEY\" >> \"$1\"\n".utf8)
                .write(to: URL(fileURLWithPath: agent))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent)
            let fix = try await repo.stomper(
                "fix", "--json",
                environment: [
                    "OPENAI_API_KEY": secret, "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_COMMAND": "[\"\(agent)\", \"{file}\"]",
                ])
            #expect(fix.exitCode == 0, "\(fix.stdoutText) \(fix.stderrText)")
            #expect(try repo.fixture.read("src/a.py").contains(secret))
            var stored = Data()
            for suffix in ["", "-wal"] {
                let path = repo.root + "/.git/stomper/state.sqlite" + suffix
                if FileManager.default.fileExists(atPath: path) { stored += try Data(contentsOf: URL(fileURLWithPath: path)) }
            }
            #expect(stored.range(of: Data(secret.utf8)) == nil)
            // The attempt diff was recorded, redacted.
            #expect(stored.range(of: Data("[redacted]".utf8)) != nil)
        }
    }
}
