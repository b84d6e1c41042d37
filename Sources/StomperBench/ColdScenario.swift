import Foundation
import StomperCore

extension Scenarios {
    /// A first run with the default settings, as CI makes one: the linters' autofix verified by
    /// ruff, the sandbox on, the gate on, worktrees created by the run and removed at its end —
    /// once with `fix.worktree = "full"` (a checkout per pool slot) and once with the default,
    /// which gives autofix sparse worktrees. Per file is the whole `stomper fix` (planning, jobs,
    /// removal of the worktrees) over the files fixed.
    static func cold(_ context: BenchContext, sizes: [Int], jobs: Int) async throws {
        for size in sizes {
            let repository = try await context.repository(files: size)
            let paths = Array(repository.fixablePaths.prefix(jobs))
            var perFile: [WorktreeMode: Double] = [:]
            for mode in [WorktreeMode.full, .auto] {
                try await repository.reset()
                let run = try await context.runPipeline(
                    repository, paths: paths, parallel: 4, latencyMilliseconds: 0,
                    configure: { configuration in
                        configuration.agent = .autofix
                        configuration.sandbox = StomperConfiguration().sandbox
                        configuration.gate = true
                        configuration.worktreeMode = mode
                    })
                perFile[mode] = (run.plan + run.wall) / Double(run.jobs)
                context.report.emit([
                    "scenario": "cold", "worktree": mode.rawValue, "files": size, "jobs": run.jobs, "parallel": 4,
                    "plan_ms": Stats.ms(run.plan), "wall_ms": Stats.ms(run.wall),
                    "per_file_ms": Stats.ms(perFile[mode]!),
                    "phase_mean_ms": run.phaseMeans.mapValues(Stats.ms),
                    "worktree_max_ms": Stats.ms(run.phase("worktree").max() ?? 0),
                ])
            }
            context.report.emit([
                "scenario": "cold", "worktree": "full/auto", "files": size, "jobs": paths.count,
                "speedup": ((perFile[.full] ?? 0) / max(perFile[.auto] ?? 1, 1e-9) * 100).rounded() / 100,
            ])
            try await repository.reset()
        }
    }
}
