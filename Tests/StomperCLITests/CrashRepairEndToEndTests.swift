import Foundation
import StomperProcess
import StomperTestSupport
import Testing

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct CrashRepairTests {
    /// The job whose `land.started` has no `land.finished` in the ledger: the landing a kill cut short.
    static func interruptedJob(_ repo: PythonRepository) async throws -> String {
        let tail = try await repo.stomper("tail").stdoutText
        var open: [String] = []
        for line in tail.split(separator: "\n") {
            guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let type = event["type"] as? String, let job = event["job"] as? String
            else { continue }
            if type == "land.started" { open.append(job) }
            if type == "land.finished" { open.removeAll { $0 == job } }
        }
        return try #require(open.last, "no interrupted landing in the ledger")
    }

    /// Killed inside a landing, then the user appends a line to the file being landed, then
    /// `stomper resume`: the user's line survives — in the working tree, unstaged, nothing of it
    /// committed — and that job is skipped for its uncommitted changes instead of overwritten.
    @Test(arguments: ["land.before:2", "land.checkout:2", "land.after:2"])
    func aUserEditAfterAKilledLandingSurvivesResume(failpoint: String) async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let killed = try await repo.stomper("fix", "-p", "1", environment: ["STOMPER_FAILPOINT": failpoint])
            #expect(killed.termination == .signaled(SIGKILL))
            let path = try await Self.interruptedJob(repo)
            let full = repo.root + "/" + path
            let userLine = "# a line the user added after the crash\n"
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: full))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(userLine.utf8))
            try handle.close()
            let edited = try String(contentsOfFile: full, encoding: .utf8)

            let resumed = try await repo.stomper("resume", "--json")
            #expect(resumed.exitCode != 2, "\(resumed.stderrText)")
            #expect(try String(contentsOfFile: full, encoding: .utf8) == edited, "resume changed the file the user edited")
            // Nothing of the edit is staged or committed.
            #expect(try await repo.fixture.git("diff", "--cached", "--name-only").isEmpty)
            #expect(!(try await repo.fixture.git("log", "-p").contains(userLine.trimmingCharacters(in: .newlines))))
            let status = try await repo.fixture.git("status", "--porcelain", "--", path)
            #expect(status.hasPrefix(" M"), "\(status)")
            if !failpoint.hasPrefix("land.after") {
                let state = try #require(try await repo.runState())
                #expect(state["status"] as? String == "completed")
                let runID = try #require(state["run_id"] as? String ?? state["id"] as? String, "\(state)")
                let shown = try await repo.stomper("show", runID).stdoutText
                #expect(shown.contains("\(path): skipped: uncommitted changes"), "\(shown)")
            }
            #expect(!FileManager.default.fileExists(atPath: repo.root + "/.git/index.lock"))
            #expect(try await repo.fixture.git("fsck", "--no-progress", "--no-dangling").isEmpty)
        }
    }
}
