import Foundation
import Logging
import StomperAgents
import StomperCoordination
import StomperCore
import StomperGit
import StomperLedger
import StomperQuality
import StomperTestSupport

/// A real `Pipeline` over a real temporary git repository, with a ledger, an in-process guard and
/// whatever fake agents and linter a test gives it.
struct PipelineHarness {
    let fixture: GitFixture
    let repository: GitRepository
    let ledger: Ledger

    /// A repository on `main` with `files` committed.
    static func make(in root: String, files: [String: String]) async throws -> PipelineHarness {
        let fixture = try await GitFixture.create(at: root + "/repo", files: files)
        let repository = try GitRepository.discover(from: fixture.root)
        return PipelineHarness(fixture: fixture, repository: repository, ledger: try Ledger.open(commonDir: repository.commonDir))
    }

    /// Settings for tests: no backoff wait, no learning (the chain keeps its configured order).
    static func configuration(_ change: (inout StomperConfiguration) -> Void = { _ in }) -> StomperConfiguration {
        var configuration = StomperConfiguration()
        configuration.maxParallelFiles = 2
        configuration.backoffBaseMilliseconds = 0
        configuration.learning = false
        change(&configuration)
        return configuration
    }

    func pipeline(
        _ agents: [any Agent], linter: any Linter = FakeLinter(), gate: SuppressionGate? = SuppressionGate(),
        tests: TestCommand? = nil, configuration: StomperConfiguration = PipelineHarness.configuration()
    ) -> Pipeline {
        var logger = Logger(label: "stomper-test")
        logger.logLevel = .critical
        return Pipeline(
            repository: repository, configuration: configuration, linter: linter, agents: agents,
            resourceGuard: InProcessGuard(), gate: gate, tests: tests, logger: logger)
    }

    struct Run {
        var plan: FixPlan
        var summary: RunSummary
        func outcome(_ path: String) -> FileOutcome? { summary.outcomes[path] }
    }

    /// Plans, records the run in the ledger and runs it, as `stomper fix` does.
    func run(
        _ pipeline: Pipeline, dryRun: Bool = false, useCache: Bool = true,
        between: () async throws -> Void = {}
    ) async throws -> Run {
        let plan = try await pipeline.plan(paths: [])
        try await between()
        let recorder = try await pipeline.begin(plan, dryRun: dryRun, ledger: ledger)
        return Run(plan: plan, summary: try await pipeline.run(plan, dryRun: dryRun, recorder: recorder, useCache: useCache))
    }

    /// Commits on `main`, newest first, as subjects.
    func subjects() async throws -> [String] {
        try await fixture.git("log", "--format=%s", "main").split(separator: "\n").map(String.init)
    }

    /// The paths the commit changed.
    func paths(changedBy commit: String) async throws -> [String] {
        try await fixture.git("show", "--format=", "--name-only", commit).split(separator: "\n").map(String.init)
    }

    /// The file as committed on `main`.
    func committed(_ path: String) async throws -> String {
        try await fixture.git("show", "main:" + path)
    }

    func jobState(_ run: Run, _ path: String) async throws -> JobState? {
        try await ledger.job(runID: run.plan.runID, path: path)?.state
    }
}
