import Synchronization
import Foundation
import Logging
import StomperAgents
import StomperCoordination
import StomperCore
import StomperGit
import StomperLedger
import StomperProcess
import StomperQuality

/// The pieces every scenario needs: where repositories live, the mock agent, the output.
struct BenchContext {
    let workDirectory: String
    let mockAgent: String
    let report: Report
    /// How many files to make fixable in the repository of each size: every scenario takes the
    /// first ones it needs, so one repository per size serves them all (generating is slow).
    let fixablePerSize: [Int: Int]

    func repository(files: Int) async throws -> SyntheticRepository {
        let fixable = fixablePerSize[files] ?? 200
        return try await SyntheticRepository.make(at: workDirectory + "/repo-\(files)-\(fixable)", files: files, fixable: fixable)
    }

    /// The argv of a command agent running the scripted mock agent: sleep `latency`, then remove
    /// the unused import.
    func agentCommand(latencyMilliseconds: Int) throws -> [String] {
        let script = workDirectory + "/mock-\(latencyMilliseconds).json"
        var steps: [[String: Any]] = []
        if latencyMilliseconds > 0 { steps.append(["sleep_ms": latencyMilliseconds]) }
        steps.append(["delete_lines_containing": SyntheticRepository.marker])
        try JSONSerialization.data(withJSONObject: ["files": ["*": steps]]).write(to: URL(fileURLWithPath: script))
        return [mockAgent, "--script", script, "{file}"]
    }

    /// Runs the real pipeline (plan, ledger, worktree pool, verify, land) over `paths`, wired by
    /// `Workspace` as the CLI's is: ruff (a pyenv shim resolved), the ledger's anti-stomp layer
    /// (every job claims its file with a durable lease, every landing is fenced), the mock agent
    /// as the command agent. The sandbox is off, so the figures measure orchestration only.
    func runPipeline(
        _ repository: SyntheticRepository, paths: [String], parallel: Int, latencyMilliseconds: Int,
        keepWorktrees: Bool = false, requireEveryFix: Bool = true,
        onEvent: @escaping @Sendable (PipelineEvent) -> Void = { _ in },
        configure: (inout StomperConfiguration) -> Void = { _ in }
    ) async throws -> PipelineRun {
        var configuration = StomperConfiguration()
        configuration.maxParallelFiles = parallel
        configuration.keepWorktrees = keepWorktrees
        configuration.agent = .command
        configuration.command = try agentCommand(latencyMilliseconds: latencyMilliseconds)
        configuration.sandbox = .none
        configuration.gate = false
        configuration.interactive = false
        configure(&configuration)
        var logger = Logger(label: "stomper-bench")
        logger.logLevel = .error
        let workspace = Workspace(repository: try GitRepository.discover(from: repository.root), configuration: configuration, logger: logger)
        let ledger = try workspace.openLedger()
        let pipeline = try await workspace.makePipeline(ledger: ledger, startsAgents: true)
        let planStart = ContinuousClock.now
        let plan = try await pipeline.plan(paths: paths)
        let planTime = ContinuousClock.now - planStart
        let recorder = try await pipeline.begin(plan, dryRun: false, ledger: ledger)
        let start = ContinuousClock.now
        let summary = try await pipeline.run(plan, dryRun: false, recorder: recorder, useCache: false, onEvent: onEvent)
        let wall = ContinuousClock.now - start
        guard !requireEveryFix || summary.count(.fixed) == plan.jobs.count else {
            let failed = summary.files(.failed).prefix(3).map { "\($0.path): \($0.reason ?? "")" }
            throw BenchError("only \(summary.count(.fixed)) of \(plan.jobs.count) files were fixed: \(failed)")
        }
        return PipelineRun(jobs: plan.jobs.count, plan: planTime.seconds, wall: wall.seconds, summary: summary)
    }
}

struct PipelineRun {
    var jobs: Int
    var plan: Double
    var wall: Double
    var summary: RunSummary

    /// Mean seconds per job of each phase; phases of parallel jobs overlap, so they do not add up to wall / N.
    var phaseMeans: [String: Double] {
        var totals: [String: Double] = [:]
        for outcome in summary.outcomes.values {
            for (phase, seconds) in outcome.phases { totals[phase, default: 0] += seconds }
        }
        return totals.mapValues { $0 / Double(max(1, jobs)) }
    }

    func phase(_ name: String) -> [Double] {
        summary.outcomes.values.compactMap { $0.phases[name] }
    }
}

enum Scenarios {
    /// Per-file cost with an instant agent at P=4, and where it goes: a first run in the
    /// repository (`cold`: the pool checks out its worktrees) and the next run (`warm`: it takes
    /// over the worktrees the first kept, `fix.keep_worktrees`). Both keep their worktrees, so
    /// neither pays for removing them; that is timed on its own (`remove_ms`), and
    /// `per_file_default_ms` adds it back to the cold run: what a default run costs.
    @discardableResult
    static func overhead(_ context: BenchContext, sizes: [Int], jobs: Int) async throws -> [Int: Double] {
        var perFile: [Int: Double] = [:]
        for size in sizes {
            let repository = try await context.repository(files: size)
            let paths = Array(repository.fixablePaths.prefix(jobs))
            var rows: [[String: Any]] = []
            for pool in ["cold", "warm"] {
                if pool == "warm" { try await repository.reset(keepingWorktrees: true) }
                let finishes = FinishTimes()
                let run = try await context.runPipeline(
                    repository, paths: paths, parallel: 4, latencyMilliseconds: 0,
                    keepWorktrees: true
                ) { event in
                    if case .finished = event { finishes.record() }
                }
                let worktree = run.phase("worktree")
                rows.append([
                    "scenario": "overhead", "pool": pool, "files": size, "jobs": run.jobs, "parallel": 4,
                    "plan_ms": Stats.ms(run.plan), "wall_ms": Stats.ms(run.wall),
                    "per_file_ms": Stats.ms(run.wall / Double(run.jobs)),
                    "per_file_steady_ms": Stats.ms(finishes.secondHalfPerFile()),
                    "phase_mean_ms": run.phaseMeans.mapValues(Stats.ms),
                    "worktree_p50_ms": Stats.ms(Stats.percentile(worktree, 50)),
                    "worktree_max_ms": Stats.ms(worktree.max() ?? 0),
                    "land_p50_ms": Stats.ms(Stats.percentile(run.phase("land"), 50)),
                ])
            }
            // What a default run (not keeping) pays at its end: removing the pool's worktrees.
            let (remove, removed) = try await timeRemoval(repository)
            let coldWall = rows[0]["wall_ms"] as! Double / 1000
            perFile[size] = (coldWall + remove) / Double(paths.count)
            rows[0]["worktrees"] = removed
            rows[0]["remove_ms"] = Stats.ms(remove)
            rows[0]["per_file_default_ms"] = Stats.ms(perFile[size]!)
            for row in rows { context.report.emit(row) }
            try await repository.reset()
        }
        return perFile
    }

    /// Removes the worktrees the last run kept, as a run that does not keep them would at its
    /// end. Returns the seconds it took and how many there were.
    static func timeRemoval(_ repository: SyntheticRepository) async throws -> (seconds: Double, worktrees: Int) {
        let start = ContinuousClock.now
        let removed = try await WorktreePool(repository: try GitRepository.discover(from: repository.root), capacity: 1)
            .prepare().removed
        return ((ContinuousClock.now - start).seconds, removed.count)
    }

    /// Parallel efficiency with agents that take 500 ms (sleeping, no CPU). At each width in
    /// `warmParallels` the run keeps its worktrees and is followed by a `warm` run that takes them
    /// over; the cold run's `default_efficiency` adds back the removal a default run ends with.
    static func scaling(
        _ context: BenchContext, size: Int, jobs: Int, parallels: [Int], latency: Int,
        warmParallels: Set<Int>
    ) async throws {
        let repository = try await context.repository(files: size)
        let paths = Array(repository.fixablePaths.prefix(jobs))
        for parallel in parallels {
            let warm = warmParallels.contains(parallel)
            var rows: [[String: Any]] = []
            for pool in warm ? ["cold", "warm"] : ["cold"] {
                if pool == "warm" { try await repository.reset(keepingWorktrees: true) }
                let run = try await context.runPipeline(
                    repository, paths: paths, parallel: parallel, latencyMilliseconds: latency,
                    keepWorktrees: warm)
                let ideal = Double(run.jobs) * Double(latency) / 1000 / Double(parallel)
                rows.append([
                    "scenario": "scaling", "pool": pool, "files": size, "jobs": run.jobs, "parallel": parallel,
                    "latency_ms": latency, "wall_ms": Stats.ms(run.wall), "ideal_ms": Stats.ms(ideal),
                    "efficiency": (ideal / run.wall * 1000).rounded() / 1000,
                    "phase_mean_ms": run.phaseMeans.mapValues(Stats.ms),
                ])
            }
            if warm {
                let (remove, _) = try await timeRemoval(repository)
                let ideal = rows[0]["ideal_ms"] as! Double
                rows[0]["remove_ms"] = Stats.ms(remove)
                rows[0]["default_efficiency"] = (ideal / (rows[0]["wall_ms"] as! Double + remove * 1000) * 1000).rounded() / 1000
            }
            for row in rows { context.report.emit(row) }
            try await repository.reset()
        }
    }

    /// The serialized critical section alone: one landing after another on the main checkout.
    static func landing(_ context: BenchContext, sizes: [Int], landings: Int) async throws {
        for size in sizes {
            let repository = try await context.repository(files: size)
            let git = try GitRepository.discover(from: repository.root)
            let writer = BranchWriter(repository: git, branch: "main")
            var durations: [Double] = []
            for path in repository.fixablePaths.prefix(landings) {
                let tip = try git.branchTip("main")!
                let old = try git.entry(at: path, in: tip)!
                let text = String(decoding: try git.blob(old.id), as: UTF8.self)
                    .replacingOccurrences(of: "import os  # \(SyntheticRepository.marker)\n", with: "")
                let bytes = Array(text.utf8)
                let patch = Patch(
                    base: tip,
                    changes: [
                        PathChange(
                            path: path, old: old,
                            new: .init(bytes: bytes, mode: old.mode, id: try blobID(bytes, git)))
                    ])
                let start = ContinuousClock.now
                _ = try await writer.land(patch, message: "bench: \(path)", author: Signature(name: "Bench", email: "bench@localhost"))
                durations.append((ContinuousClock.now - start).seconds)
            }
            context.report.emit([
                "scenario": "landing", "files": size, "landings": durations.count,
                "p50_ms": Stats.ms(Stats.percentile(durations, 50)), "p99_ms": Stats.ms(Stats.percentile(durations, 99)),
                "max_ms": Stats.ms(durations.max() ?? 0),
            ])
            try await repository.reset()
        }
    }

    static func blobID(_ bytes: [UInt8], _ git: GitRepository) throws -> ObjectID {
        // The landing writes the blob itself; the id here only has to be right for the patch.
        let result = Process()
        result.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        result.arguments = ["git", "-C", git.workdir, "hash-object", "--stdin"]
        let input = Pipe(), output = Pipe()
        result.standardInput = input
        result.standardOutput = output
        try result.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        result.waitUntilExit()
        return ObjectID(hex: text.trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    /// Lease acquire+release, uncontended and contended: in-process (the mutex alone, and the
    /// StompGuard over an in-memory store) and durable across processes (StompGuard over the ledger;
    /// "processes" are separate ledger connections, which is what separates processes in SQLite).
    static func locks(_ context: BenchContext, iterations: Int) async throws {
        let resource = ResourceDescriptor.file("a.py")
        func perOperation(_ guards: [any ResourceGuard], iterations: Int) async throws -> Double {
            let start = ContinuousClock.now
            for index in 0..<iterations {
                _ = try await guards[index % guards.count].withResources([resource], mode: .batch) { grant in
                    try grant.checkWrite()
                    return grant.token
                }
            }
            return (ContinuousClock.now - start).seconds / Double(iterations)
        }
        /// Operations per second with `tasks` tasks spread over `guards`, all on one key.
        func contended(_ guards: [any ResourceGuard], tasks: Int, iterations: Int) async throws -> Int {
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        for _ in 0..<(iterations / tasks) {
                            _ = try await guards[task % guards.count].withResources([resource], mode: .batch) { $0.token }
                        }
                    }
                }
                try await group.waitForAll()
            }
            return Int(Double(iterations / tasks * tasks) / (ContinuousClock.now - start).seconds)
        }
        var policy = CoordinationPolicy()
        policy[.critCode].batchMaxWaitMilliseconds = 600_000
        let mutexOnly = InProcessGuard(policy: policy)
        let inMemory = StompGuard(store: InMemoryLeaseStore(), policy: policy)
        let folder = context.workDirectory + "/locks"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let processes = try (0..<2).map { index in
            StompGuard(
                store: LedgerLeaseStore(ledger: try Ledger.open(commonDir: folder)), policy: policy,
                holder: LeaseHolder(id: "bench-\(index)", pid: getpid(), host: "bench"))
        }
        let durableIterations = max(50, iterations / 20)
        context.report.emit([
            "scenario": "locks", "iterations": iterations, "durable_iterations": durableIterations,
            "in_process_mutex_uncontended_us": (try await perOperation([mutexOnly], iterations: iterations) * 1e7).rounded() / 10,
            "in_process_lease_uncontended_us": (try await perOperation([inMemory], iterations: iterations) * 1e7).rounded() / 10,
            "in_process_contended_ops_per_s": try await contended([inMemory], tasks: 8, iterations: iterations),
            "cross_process_uncontended_ms": Stats.ms(try await perOperation(processes, iterations: durableIterations)),
            "cross_process_contended_ops_per_s": try await contended(processes, tasks: 8, iterations: durableIterations),
        ])
    }

    /// The same jobs done the naive way, through the git CLI, one file at a time.
    /// `stomperPerFile` reuses the overhead scenario's figures (same jobs) when it ran first.
    static func baseline(_ context: BenchContext, sizes: [Int], jobs: Int, stomperJobs: Int, stomperPerFile: [Int: Double]) async throws {
        for size in sizes {
            let repository = try await context.repository(files: size)
            let ours: Double
            if let known = stomperPerFile[size] {
                ours = known
            } else {
                let stomper = try await context.runPipeline(
                    repository, paths: Array(repository.fixablePaths.prefix(stomperJobs)),
                    parallel: 4, latencyMilliseconds: 0)
                ours = stomper.wall / Double(stomper.jobs)
                try await repository.reset()
            }
            let script = context.workDirectory + "/mock-0.json"
            // The same ruff program stomper runs, so the ratio compares orchestration, not shims.
            let ruff = await VersionManagerShim.resolve("ruff", in: repository.root)
            var durations: [Double] = []
            for (index, path) in repository.fixablePaths.prefix(jobs).enumerated() {
                let worktree = context.workDirectory + "/baseline-wt-\(index)"
                let start = ContinuousClock.now
                try await SyntheticRepository.git(["worktree", "add", "-q", "--detach", worktree, "HEAD"], in: repository.root)
                _ = try await ProcessRunner.run(
                    ProcessSpec(
                        executable: context.mockAgent, arguments: ["--script", script, path],
                        workingDirectory: worktree, timeout: .seconds(60)))
                _ = try await ProcessRunner.run(
                    ProcessSpec(
                        executable: ruff, arguments: ["check", "--no-cache", "-q", path],
                        workingDirectory: worktree, timeout: .seconds(60)))
                let diff = try await ProcessRunner.run(
                    ProcessSpec(
                        executable: "git", arguments: ["diff", "--binary"],
                        workingDirectory: worktree, timeout: .seconds(60)))
                let apply = try await ProcessRunner.run(
                    ProcessSpec(
                        executable: "git", arguments: ["apply", "--index", "-"],
                        workingDirectory: repository.root, input: diff.standardOutput,
                        timeout: .seconds(60)))
                guard apply.exitCode == 0 else { throw BenchError("git apply failed: \(apply.stderrText)") }
                try await SyntheticRepository.git(["commit", "-q", "--no-verify", "-m", "fix \(path)"], in: repository.root)
                try await SyntheticRepository.git(["worktree", "remove", "--force", worktree], in: repository.root)
                durations.append((ContinuousClock.now - start).seconds)
            }
            let naive = Stats.mean(durations)
            context.report.emit([
                "scenario": "baseline", "files": size, "baseline_jobs": durations.count, "stomper_jobs": stomperJobs,
                "baseline_per_file_ms": Stats.ms(naive), "stomper_per_file_ms": Stats.ms(ours),
                "ratio": (naive / ours * 10).rounded() / 10,
            ])
            try await repository.reset()
        }
    }

    /// Peak RSS of a long run; run in a child process so other scenarios do not count.
    static func memory(_ context: BenchContext, size: Int, jobs: Int) async throws {
        let repository = try await context.repository(files: size)
        let samples = RSSSamples()
        // P = 8: the run is CPU-bound either way, and a wider pool keeps the whole suite under 10 minutes.
        let run = try await context.runPipeline(
            repository, paths: Array(repository.fixablePaths.prefix(jobs)), parallel: 8,
            latencyMilliseconds: 0
        ) { event in
            if case .finished = event { samples.record() }
        }
        context.report.emit([
            "scenario": "memory", "files": size, "jobs": run.jobs, "parallel": 8, "wall_ms": Stats.ms(run.wall),
            "peak_rss_mb": (Stats.peakRSSMegabytes() * 10).rounded() / 10,
            "rss_after_first_quarter_mb": (samples.at(fraction: 0.25) * 10).rounded() / 10,
            "rss_at_end_mb": (samples.at(fraction: 1) * 10).rounded() / 10,
        ])
        try await repository.reset()
    }
}

/// When each job finished. The second half of a run works on worktrees that already exist, so its
/// pace is the per-file cost without the pool's one-time creation.
final class FinishTimes: Sendable {
    private let times = Mutex<[ContinuousClock.Instant]>([])
    func record() {
        let now = ContinuousClock.now
        times.withLock { $0.append(now) }
    }
    func secondHalfPerFile() -> Double {
        times.withLock { times in
            guard times.count >= 4 else { return 0 }
            let middle = times.count / 2
            return (times[times.count - 1] - times[middle]).seconds / Double(times.count - 1 - middle)
        }
    }
}

/// Resident set size after each finished job.
final class RSSSamples: Sendable {
    private let values = Mutex<[Double]>([])
    func record() {
        let rss = Stats.currentRSSMegabytes()
        values.withLock { $0.append(rss) }
    }
    func at(fraction: Double) -> Double {
        values.withLock { values in
            guard !values.isEmpty else { return 0 }
            return values[min(values.count - 1, Int(Double(values.count) * fraction) - (fraction >= 1 ? 1 : 0))]
        }
    }
}
