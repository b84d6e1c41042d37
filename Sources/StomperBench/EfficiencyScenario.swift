import Foundation
import StomperAgents
import StomperChatStub
import StomperCore

extension Scenarios {
    /// Parallel efficiency with agents that take `latency` and use no CPU: the chat agent against
    /// the chat stub on loopback, which waits `latency` and then answers with the file minus its
    /// unused import. A first run with otherwise default settings (sandbox, gate, ruff verifying,
    /// `fix.worktree` — sparse for the chat agent — and `linters.ruff.batch`), then with full
    /// worktrees and with ruff unbatched, to compare.
    /// Efficiency is N × latency / P over the run's wall time.
    static func efficiency(_ context: BenchContext, size: Int, jobs: Int, parallels: [Int], latency: Int) async throws {
        let repository = try await context.repository(files: size)
        let paths = Array(repository.fixablePaths.prefix(jobs))
        let script = ChatStubScript(fallback: .slow(milliseconds: latency), edits: [.deleteLines(containing: SyntheticRepository.marker)])
        let stub = try ChatStubServer(script: script)
        defer { stub.stop() }
        for parallel in parallels {
            let variants: [(name: String, mode: WorktreeMode, batch: Bool)] = [
                ("default", .auto, true), ("full worktrees", .full, true), ("ruff unbatched", .auto, false),
            ]
            for variant in variants {
                try await repository.reset()
                let run = try await context.runPipeline(
                    repository, paths: paths, parallel: parallel, latencyMilliseconds: 0,
                    configure: { configuration in
                        configuration.agent = .chat
                        configuration.chat.baseURL = stub.baseURL
                        configuration.agentModel = "stub"
                        configuration.chat.apiKeyVariable = nil
                        configuration.sandbox = StomperConfiguration().sandbox
                        configuration.gate = true
                        configuration.worktreeMode = variant.mode
                        configuration.ruffBatch = variant.batch
                    })
                let ideal = Double(run.jobs) * Double(latency) / 1000 / Double(parallel)
                context.report.emit([
                    "scenario": "efficiency", "variant": variant.name, "files": size, "jobs": run.jobs, "parallel": parallel,
                    "latency_ms": latency, "wall_ms": Stats.ms(run.wall), "ideal_ms": Stats.ms(ideal),
                    "efficiency": (ideal / run.wall * 1000).rounded() / 1000,
                    "phase_mean_ms": run.phaseMeans.mapValues(Stats.ms),
                ])
            }
        }
        try await repository.reset()
    }
}
