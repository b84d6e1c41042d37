import Foundation
import StomperCoordination
import StomperLedger
import StomperProcess
import StomperTestSupport
import Testing

/// Several stomper processes on one repository: the anti-stomp layer keeps them off each other's files.
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct ConcurrentRunsTests {
    /// An agent that takes a while (so two runs overlap) and then really fixes the file with ruff.
    static func slowFixer(_ seconds: String) -> [String: String?] {
        [
            "STOMPER_FIX_AGENT": "command",
            "STOMPER_AGENT_COMMAND": "[\"sh\", \"-c\", \"sleep \(seconds); ruff check --fix --no-cache -q \\\"$1\\\"\", \"sh\", \"{file}\"]",
        ]
    }

    /// The paths whose fix commits are in the branch's history, one entry per commit touching it.
    static func fixedPathsInHistory(_ repo: PythonRepository) async throws -> [String] {
        try await repo.fixture.git("log", "--format=", "--name-only", "--grep=Stomper-Key")
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    @Test func twoRunsStartedTogetherFixEveryFileExactlyOnceAndReportWhatTheyLeftToEachOther() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 10)
            let all = Set((0..<10).map { "src/pkg/fixable_\($0).py" })
            let environment = Self.slowFixer("0.3")
            async let first = repo.stomper("fix", "--parallel", "2", "--json", environment: environment)
            async let second = repo.stomper("fix", "--parallel", "2", "--json", environment: environment)
            let results = try await [first, second]

            var fixedBy: [Set<String>] = []
            var leftBy: [Set<String>] = []
            for result in results {
                #expect(result.exitCode == 0, "\(result.stderrText)")
                let outcomes = try repo.outcomes(try repo.report(result))
                let fixed = Set(outcomes.filter { $0.value["status"] as? String == "fixed" }.keys)
                let left = Set(outcomes.filter { $0.value["left_to"] is String }.keys)
                // Every file a run planned it either fixed or reported as left to the other run.
                #expect(fixed.union(left) == Set(outcomes.keys))
                #expect(fixed.isDisjoint(with: left))
                for path in left {
                    let reason = outcomes[path]?["reason"] as? String ?? ""
                    #expect(reason.contains("left to"), "\(path): \(reason)")
                }
                fixedBy.append(fixed)
                leftBy.append(left)
            }
            #expect(fixedBy[0].isDisjoint(with: fixedBy[1]), "a file was fixed by both runs")
            #expect(fixedBy[0].union(fixedBy[1]) == all)
            #expect(!leftBy[0].union(leftBy[1]).isEmpty, "the runs did not overlap")
            let history = try await Self.fixedPathsInHistory(repo)
            #expect(history.sorted() == all.sorted(), "each file must have exactly one fix commit")
            #expect(try await repo.commitCount() == 1 + all.count)
            #expect(try await repo.status().isEmpty)
            #expect(try await repo.ruffIsClean())
            #expect(try await repo.worktreeCount() == 1)
            let leases = try await LedgerLeaseStore(ledger: try Ledger.open(commonDir: repo.root + "/.git")).leases()
            #expect(leases.isEmpty, "leases left behind: \(leases)")

            // Introspection: no lease held now; the contention of the two runs is in the statistics.
            let locks = try #require(try repo.json(try await repo.stomper("locks", "--json")) as? [String: Any])
            #expect((locks["leases"] as? [Any])?.isEmpty == true)
            let stats = try #require(try repo.json(try await repo.stomper("stats", "--json")) as? [String: Any])
            let classes = try #require(stats["classes"] as? [String: [String: Any]])
            let code = try #require(classes["CRIT_CODE"])
            #expect((code["acquisitions"] as? Int ?? 0) >= all.count)
            #expect((code["contended"] as? Int ?? 0) + (code["busy_errors"] as? Int ?? 0) >= 1, "\(code)")
            #expect((classes["CRIT_DB"]?["acquisitions"] as? Int ?? 0) > 0)
            #expect((classes["IDEMP_DOCS"]?["acquisitions"] as? Int) == 0, "docgen is off in these runs")
        }
    }

    /// A lease holder stopped (SIGSTOP) past its TTL: the waiting run proceeds and lands the file;
    /// the stopped run, continued, has its landing refused with StaleVersion and leaves nothing behind.
    @Test func aStoppedHolderLosesItsLeaseAndItsLandingIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(
                at: dir + "/repo", fixable: 1,
                extra: [
                    "stomper.toml": "[maasl.resource.CRIT_CODE]\nlease_ttl_sec = 1\n"
                ])
            let path = "src/pkg/fixable_0.py"
            let ledger = try Ledger.open(commonDir: repo.root + "/.git")
            let store = LedgerLeaseStore(ledger: ledger)
            let paused = Task { try await repo.stomper("fix", "--json", environment: Self.slowFixer("2")) }
            // Wait until the first run holds the file and its agent is at work, then stop the run.
            var holder: LeaseHolder?
            try await pollUntil("the first run to hold \(path) with its agent started") {
                holder = try await store.leases().first { $0.resource == .file(path) }?.holder
                guard holder != nil else { return false }
                return try await !ledger.events(type: "agent.started", last: 1).isEmpty
            }
            let pid = try #require(holder?.pid)
            #expect(kill(pid, SIGSTOP) == 0)
            // `stomper locks` names the stopped holder.
            let locks = try #require(try repo.json(try await repo.stomper("locks", "--json")) as? [String: Any])
            let held = try #require((locks["leases"] as? [[String: Any]])?.first { $0["resource"] as? String == "CRIT_CODE:" + path })
            #expect((held["holder"] as? [String: Any])?["pid"] as? Int == Int(pid))
            #expect((held["token"] as? Int ?? 0) > 0)
            let second = try await repo.stomper("fix", "--json", environment: ["STOMPER_FIX_MODE": "batch"])
            #expect(kill(pid, SIGCONT) == 0)
            let first = try await paused.value

            #expect(second.exitCode == 0, "\(second.stderrText)")
            #expect(try repo.outcomes(try repo.report(second))[path]?["status"] as? String == "fixed")
            #expect(first.exitCode == 1, "\(first.stderrText)")
            let refused = try #require(try repo.outcomes(try repo.report(first))[path])
            #expect(refused["status"] as? String == "failed")
            #expect((refused["reason"] as? String ?? "").contains("StaleVersion"), "\(refused)")
            #expect(refused["commit"] == nil)
            // Nothing behind: one fix commit (the second run's), a clean checkout, no worktrees or leases.
            #expect(try await Self.fixedPathsInHistory(repo) == [path])
            #expect(try await repo.status().isEmpty)
            #expect(try await repo.worktreeCount() == 1)
            #expect(try await store.leases().isEmpty)
            let kinds = try await ledger.coordinationEvents().map(\.kind)
            #expect(kinds.contains(.expired))
            #expect(kinds.contains(.stale))
            let stats = try #require(try repo.json(try await repo.stomper("stats", "--json")) as? [String: Any])
            let code = try #require((stats["classes"] as? [String: [String: Any]])?["CRIT_CODE"])
            #expect(code["expiries"] as? Int == 1)
            #expect(code["stale_refusals"] as? Int == 1)
        }
    }
}
