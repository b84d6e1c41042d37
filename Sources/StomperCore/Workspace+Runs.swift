import Foundation
import Synchronization
import StomperAgents
import StomperCoordination
public import StomperDocs
import StomperGit
public import StomperLedger
public import StomperQuality

/// What a fix run is asked to do beyond the configuration: which files, and the options a
/// caller may change per run. Options left nil keep the configuration's value.
public struct RunRequest: Sendable {
    /// Files or folders relative to the repository root; empty: the whole repository.
    public var paths: [String]
    public var selection: FileSelection
    /// The fixer (`fix.agent`) for this run.
    public var agent: StomperConfiguration.AgentKind?
    /// Files worked on at once (`fix.parallel`).
    public var parallel: Int?
    /// Verify fixes and keep their diffs, commit nothing.
    public var dryRun: Bool
    /// Commit onto this branch only (`fix.branch`), leaving HEAD, index and working tree alone.
    public var branch: String?
    /// Mark an unfinished run of a dead process aborted instead of refusing to start.
    public var abandon: Bool
    /// This run's part of the plan (`--shard I/N`); nil: the whole plan.
    public var shard: ShardSpec?

    public init(
        paths: [String] = [], selection: FileSelection = FileSelection(), agent: StomperConfiguration.AgentKind? = nil,
        parallel: Int? = nil, dryRun: Bool = false, branch: String? = nil, abandon: Bool = false, shard: ShardSpec? = nil
    ) {
        self.shard = shard
        self.paths = paths
        self.selection = selection
        self.agent = agent
        self.parallel = parallel
        self.dryRun = dryRun
        self.branch = branch
        self.abandon = abandon
    }

    /// The options that are settings, as the settings table names them.
    var flags: [String: SettingValue] {
        var flags: [String: SettingValue] = [:]
        if let agent { flags["fix.agent"] = .string(agent.rawValue) }
        if let parallel { flags["fix.parallel"] = .int(parallel) }
        if let branch { flags["fix.branch"] = .string(branch) }
        return flags
    }
}

/// A fix run planned and ready to start: the pipeline with its agents checked, the plan, the
/// ledger it records into. Nothing has been written to the ledger or the repository yet.
public struct PreparedRun: Sendable {
    public let pipeline: Pipeline
    public let plan: FixPlan
    public let ledger: Ledger
    public let dryRun: Bool
    /// Unfinished runs of dead processes this one marked aborted (`RunRequest.abandon`).
    public let abandonedRuns: [String]
    /// The recorder of a resumed run, which is already in the ledger; nil for a new run.
    public let recorder: RunRecorder?

    public init(
        pipeline: Pipeline, plan: FixPlan, ledger: Ledger, dryRun: Bool, abandonedRuns: [String] = [],
        recorder: RunRecorder? = nil
    ) {
        self.pipeline = pipeline
        self.plan = plan
        self.ledger = ledger
        self.dryRun = dryRun
        self.abandonedRuns = abandonedRuns
        self.recorder = recorder
    }

    /// Records the run in the ledger (a resumed run already is), returning its recorder.
    public func begin() async throws -> RunRecorder {
        if let recorder { return recorder }
        return try await pipeline.begin(plan, dryRun: dryRun, ledger: ledger)
    }

    /// Records the run, works every job, regenerates the docs of what landed (`docs.enabled`)
    /// and returns the summary. A front end with its own progress display calls `begin` and the
    /// pipeline's `run` itself instead; this is the whole run for callers that only await it. A
    /// docgen failure does not fail the run (the fixes are in): it is in `docsFailure`.
    public func run(useCache: Bool = true, onEvent: @escaping @Sendable (PipelineEvent) -> Void = { _ in }) async throws -> CompletedRun {
        let recorder = try await begin()
        let pipeline = self.pipeline, plan = self.plan, ledger = self.ledger, dryRun = self.dryRun
        let docs = DocsResult()
        let finalTests = FinalTestsResult()
        do {
            let summary = try await pipeline.run(
                plan, dryRun: dryRun, recorder: recorder, useCache: useCache, onEvent: onEvent,
                beforeCompletion: { _ in
                    // Before the docs: they describe the files as the reverts leave them.
                    do {
                        let tests = try await FinalTests.afterRun(pipeline, plan: plan, ledger: ledger, dryRun: dryRun)
                        finalTests.value.withLock { $0 = (tests, nil) }
                    } catch {
                        finalTests.value.withLock { $0 = (nil, "\(error)") }
                    }
                    do {
                        let report = try await DocgenRun.afterRun(pipeline, plan: plan, ledger: ledger, dryRun: dryRun)
                        docs.value.withLock { $0 = (report, nil) }
                    } catch {
                        docs.value.withLock { $0 = (nil, "\(error)") }
                    }
                })
            try? await ledger.flushWriteStatistics(runID: plan.runID)
            let (report, failure) = docs.value.withLock { $0 }
            let (tests, testsFailure) = finalTests.value.withLock { $0 }
            return CompletedRun(
                runID: plan.runID, summary: tests.map { summary.reverting($0) } ?? summary, docs: report, docsFailure: failure, finalTests: tests,
                finalTestsFailure: testsFailure)
        } catch {
            try? await ledger.setRunStatus(plan.runID, .failed)
            throw error
        }
    }
}

/// The docs of a run, handed from the pipeline's completion hook to the result.
private final class DocsResult: Sendable {
    let value = Mutex<(DocgenReport?, String?)>((nil, nil))
}

/// The final tests of a run, handed from the pipeline's completion hook to the result.
private final class FinalTestsResult: Sendable {
    let value = Mutex<(FinalTestsReport?, String?)>((nil, nil))
}

/// A run that went to its end: how each file ended, and the docs regenerated after it.
public struct CompletedRun: Sendable {
    public let runID: String
    public let summary: RunSummary
    /// The docs commit and results, nil when docgen did not run.
    public let docs: DocgenReport?
    /// Why the docs were not regenerated, when docgen failed.
    public let docsFailure: String?
    /// The suite run once at the end (`verify.test_scope = "final"`), nil otherwise.
    public var finalTests: FinalTestsReport? = nil
    /// Why the final tests could not be run or their culprits reverted (a git or ledger error).
    public var finalTestsFailure: String? = nil
}

/// A run about to be resumed: the run to drive, the ledger row it continues, and what
/// reconciling it with git found.
public struct PreparedResume: Sendable {
    public let run: PreparedRun
    public let record: RunRecord
    public let report: ResumeReport
}

/// What `check` found: the plan a fix with the same settings would start from, and who would fix.
public struct CheckResult: Sendable {
    public let plan: FixPlan
    public let pipeline: Pipeline
    /// The agents of the chain, as the verdicts name them.
    public var fixers: [String] { pipeline.agents.map(\.identity.description) }
}

extension Workspace {
    /// The paths the git-based selection options name, together: files with uncommitted changes
    /// (`changed`), staged in the index (`staged`), changed since `revision`; nil when none is asked.
    public func gitSelection(changed: Bool, staged: Bool, since revision: String?) throws -> Set<String>? {
        var only: Set<String>?
        if changed { only = (only ?? []).union(try repository.changedPaths()) }
        if staged { only = (only ?? []).union(try repository.stagedPaths()) }
        if let revision { only = (only ?? []).union(try repository.pathsChanged(since: revision)) }
        return only
    }

    /// Lints `paths` (relative to the root; empty: everything) as `stomper check` does, read-only:
    /// no ledger, no agent started, none required to be installed.
    /// With `shard`, only that shard's part of the plan.
    public func check(paths: [String] = [], selection: FileSelection = FileSelection(), shard: ShardSpec? = nil) async throws -> CheckResult {
        let pipeline = try await makePipeline(ledger: nil)
        let plan = try await pipeline.plan(paths: paths, selection: selection, target: .readOnly)
        return CheckResult(plan: shard.map { plan.shard($0) } ?? plan, pipeline: pipeline)
    }

    /// Plans a fix run as `stomper fix` does: the request's options over the configuration, the
    /// run policy (`RunGate.check`), the agents required to be runnable and the sandbox probed,
    /// then the plan. `ledger` is opened unless given.
    public func prepareFix(_ request: RunRequest, ledger: Ledger? = nil) async throws -> PreparedRun {
        let workspace = try applying(request.flags)
        let configuration = workspace.configuration
        let ledger = try ledger ?? workspace.openLedger()
        let abandoned = try await RunGate.check(ledger, abandon: request.abandon, concurrentRunsAllowed: configuration.coordination.enabled)
        let pipeline = try await workspace.makePipeline(ledger: ledger, startsAgents: true)
        var plan = try await pipeline.plan(
            paths: request.paths, selection: request.selection,
            target: RunGate.planTarget(branch: configuration.fixBranch, dryRun: request.dryRun))
        // Every shard plans the whole selection at the same commit, then keeps its part.
        if let shard = request.shard { plan = plan.shard(shard) }
        return PreparedRun(pipeline: pipeline, plan: plan, ledger: ledger, dryRun: request.dryRun, abandonedRuns: abandoned)
    }

    /// Prepares the resumption of run `id` (default: the latest unfinished run of a stopped
    /// process) with its stored settings and tool versions, `parallel` changing only speed.
    public func prepareResume(_ id: String?, parallel: Int? = nil, ledger: Ledger? = nil) async throws -> PreparedResume {
        let ledger = try ledger ?? openLedger()
        let record = try await RunGate.resumable(id, ledger: ledger)
        // A land's fixer writes what the bundles hold: only `stomper land` can continue it.
        guard !Self.isLand(record) else {
            throw CoreError(
                .notResumable,
                "run \(record.id) is a stomper land: run `stomper land` with the same bundles again; it takes the run over and lands the rest",
                subject: record.id)
        }
        var stored = try StomperConfiguration.decodeStored(record.configJSON).resuming(with: configuration)
        if let parallel {
            var settings = ResolvedConfiguration(configuration: stored)
            try settings.apply(["fix.parallel": .int(parallel)], source: "the request")
            stored = settings.configuration
        }
        let versions = (try? JSONDecoder().decode([String: String].self, from: Data(record.toolVersions.utf8))) ?? [:]
        let pipeline = try await replacing(stored).makePipeline(ledger: ledger, toolVersions: versions, startsAgents: true)
        let report = try await pipeline.prepareResume(of: record, ledger: ledger)
        return PreparedResume(
            run: PreparedRun(
                pipeline: pipeline, plan: report.plan, ledger: ledger, dryRun: false,
                recorder: report.recorder),
            record: record, report: report)
    }
}
