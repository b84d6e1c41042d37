import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// The benchmark is not part of the test suite, but a tiny run of it is, so it cannot rot.
@Suite(.tags(.e2e, .slow), .timeLimit(.minutes(10))) struct BenchSmokeTests {
    @Test func everyScenarioRunsAtTinySizes() async throws {
        try await withTemporaryDirectory { dir in
            let bench = (StomperBinary.path as NSString).deletingLastPathComponent + "/stomper-bench"
            let result = try await ProcessRunner.run(
                ProcessSpec(
                    executable: bench, arguments: ["all", "--quick", "--work-directory", dir + "/bench"], timeout: .seconds(600)))
            #expect(result.exitCode == 0, "\(result.stderrText)")
            let rows = result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let scenarios = Dictionary(grouping: rows) { $0["scenario"] as? String ?? "" }
            #expect(
                Set(scenarios.keys) == ["overhead", "scaling", "landing", "locks", "baseline", "memory", "cold", "efficiency", "mypy", "broad-ruff"])
            #expect(scenarios["overhead"]?.count == 4)
            #expect((scenarios["overhead"] ?? []).map { $0["pool"] as? String ?? "" } == ["cold", "warm", "cold", "warm"])
            for row in scenarios["overhead"] ?? [] where row["pool"] as? String == "cold" {
                #expect((row["per_file_default_ms"] as? Double ?? 0) >= (row["per_file_ms"] as? Double ?? 0))
            }
            for row in scenarios["overhead"] ?? [] {
                #expect((row["per_file_ms"] as? Double ?? 0) > 0)
                let phases = row["phase_mean_ms"] as? [String: Double] ?? [:]
                #expect(Set(phases.keys).isSuperset(of: ["worktree", "agent", "verify", "diff", "land", "ledger"]))
            }
            let scaling = (scenarios["scaling"] ?? []).map { "\($0["parallel"] ?? "?") \($0["pool"] ?? "?")" }
            #expect(scaling == ["1 cold", "4 cold", "4 warm"])
            #expect((scenarios["scaling"] ?? []).allSatisfy { ($0["efficiency"] as? Double ?? 0) > 0 })
            #expect((scenarios["baseline"]?.first?["ratio"] as? Double ?? 0) > 0)
            #expect((scenarios["memory"]?.first?["peak_rss_mb"] as? Double ?? 0) > 0)
            // The default first run, full worktrees then sparse ones (autofix), and their ratio.
            #expect((scenarios["cold"] ?? []).map { $0["worktree"] as? String ?? "" } == ["full", "auto", "full/auto"])
            #expect((scenarios["cold"] ?? []).prefix(2).allSatisfy { ($0["per_file_ms"] as? Double ?? 0) > 0 })
            // Agents that use no CPU (the chat stub), the default run, then full worktrees, then ruff unbatched.
            #expect((scenarios["efficiency"] ?? []).map { $0["variant"] as? String ?? "" } == ["default", "full worktrees", "ruff unbatched"])
            #expect((scenarios["efficiency"] ?? []).allSatisfy { ($0["efficiency"] as? Double ?? 0) > 0 })
            // mypy with its cache, then cold; ruff's broad rule set landing fixes.
            #expect((scenarios["mypy"] ?? []).map { $0["cache"] as? Bool } == [true, false])
            #expect((scenarios["mypy"] ?? []).allSatisfy { ($0["per_fixed_file_ms"] as? Double ?? 0) > 0 })
            #expect((scenarios["broad-ruff"]?.first?["landed"] as? Int ?? 0) > 0)
            #expect(result.stdoutText.contains("stomper-bench: all done in"))
        }
    }
}
