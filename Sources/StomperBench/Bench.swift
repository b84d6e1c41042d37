import ArgumentParser
import Foundation
import StomperProcess

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stomper-bench",
        abstract: "Measure what stomper adds around agent time, against a naive baseline, on synthetic repositories.",
        discussion: """
            Scenarios: overhead, scaling, landing, locks, baseline, memory, cold, efficiency, mypy, broad-ruff, all.
            Prints one JSON object per measurement, then a table. See docs/PERFORMANCE.md.
            Build in release mode: swift run -c release stomper-bench all
            """)

    @Argument(help: "overhead | scaling | landing | locks | baseline | memory | cold | efficiency | mypy | broad-ruff | all")
    var scenario: String = "all"

    @Option(help: "Folder for the synthetic repositories (kept between runs).")
    var workDirectory: String = NSTemporaryDirectory() + "stomper-bench"

    @Flag(help: "Tiny sizes, for a smoke test that the benchmark still works.")
    var quick = false

    @Option(
        name: .customLong("files"), help: "Repository sizes of the overhead, landing and baseline scenarios, repeatable (default 1000, 10000, 50000)."
    )
    var repositorySizes: [Int] = []

    @Option(help: "Files to fix per run of the overhead and scaling scenarios (default 200; 8 with --quick).")
    var jobs: Int?

    @Option(name: .customLong("parallel"), help: "Parallelism of the scaling scenario, repeatable (default 1, 4, 8, 16).")
    var parallels: [Int] = []

    @Flag(name: .customLong("child-memory"), help: .hidden)
    var childMemory = false

    func run() async throws {
        // As the stomper executable does; MALLOC_ARENA_MAX in the environment overrides it.
        MallocArenas.limit()
        let mockAgent = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("stomper-mock-agent").path
        guard FileManager.default.isExecutableFile(atPath: mockAgent) else {
            throw BenchError("stomper-mock-agent not found beside stomper-bench (\(mockAgent)): build both with `swift build -c release`")
        }
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let sizes = !repositorySizes.isEmpty ? repositorySizes : quick ? [200, 600] : [1_000, 10_000, 50_000]
        let jobs = self.jobs ?? (quick ? 8 : 200)
        let memorySize = quick ? 600 : 50_000
        let memoryJobs = quick ? 40 : 2_000
        var fixable = Dictionary(uniqueKeysWithValues: sizes.map { ($0, jobs) })
        fixable[memorySize] = memoryJobs
        let context = BenchContext(workDirectory: workDirectory, mockAgent: mockAgent, report: Report(), fixablePerSize: fixable)
        if childMemory {
            try await Scenarios.memory(context, size: memorySize, jobs: memoryJobs)
            return
        }
        let all = scenario == "all"
        let start = ContinuousClock.now
        if all || scenario == "locks" { try await Scenarios.locks(context, iterations: quick ? 1_000 : 20_000) }
        if all || scenario == "landing" { try await Scenarios.landing(context, sizes: sizes, landings: quick ? 10 : 50) }
        var overheadPerFile: [Int: Double] = [:]
        if all || scenario == "overhead" { overheadPerFile = try await Scenarios.overhead(context, sizes: sizes, jobs: jobs) }
        if all || scenario == "scaling" {
            try await Scenarios.scaling(
                context, size: sizes[0], jobs: jobs, parallels: !parallels.isEmpty ? parallels : quick ? [1, 4] : [1, 4, 8, 16],
                latency: quick ? 100 : 500, warmParallels: quick ? [4] : [8, 16])
        }
        if all || scenario == "baseline" {
            try await Scenarios.baseline(
                context, sizes: Array(sizes.prefix(2)), jobs: quick ? 2 : 5, stomperJobs: jobs,
                stomperPerFile: overheadPerFile)
        }
        if all || scenario == "cold" {
            // A default first run fixing 100 files, full worktrees against sparse ones.
            let large = sizes.filter { $0 >= 10_000 }
            try await Scenarios.cold(context, sizes: large.isEmpty ? [sizes.last!] : large, jobs: quick ? 4 : 100)
        }
        if all || scenario == "efficiency" {
            // Agents that take 500 ms and use no CPU (the chat stub), a first run.
            try await Scenarios.efficiency(
                context, size: sizes[0], jobs: jobs, parallels: !parallels.isEmpty ? parallels : quick ? [4] : [8, 16],
                latency: quick ? 100 : 500)
        }
        if all || scenario == "mypy" { try await Scenarios.mypy(context, modules: quick ? 12 : 50) }
        if all || scenario == "broad-ruff" { try await Scenarios.broadRuff(context, files: quick ? 6 : 200) }
        if all || scenario == "memory" {
            // A child process, so its peak RSS is its own.
            let result = try await ProcessRunnerBridge.runSelf(["--child-memory", "--work-directory", workDirectory] + (quick ? ["--quick"] : []))
            for line in result.split(separator: "\n") where line.hasPrefix("{") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { context.report.emit(object) }
            }
        }
        Table.print(context.report.rows)
        print(String(format: "stomper-bench: %@ done in %.1f s", scenario, (ContinuousClock.now - start).seconds))
    }
}

enum ProcessRunnerBridge {
    static func runSelf(_ arguments: [String]) async throws -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let result = try await StomperProcessRun.run(executable, arguments)
        return result
    }
}
