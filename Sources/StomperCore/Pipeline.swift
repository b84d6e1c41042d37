import Foundation
public import Logging
public import StomperAgents
public import StomperCoordination
public import StomperGit
public import StomperLedger
import StomperProcess
public import StomperQuality

/// What the pipeline reports while it runs, for progress displays.
public enum PipelineEvent: Sendable {
    case started(path: String)
    /// A job entered a phase: its agent started, its verification (re-lint, tests), its landing.
    case phase(path: String, PipelinePhase)
    case finished(FileOutcome)
}

/// The phases of a job a progress display shows, in the order a job goes through them (an agent
/// attempt and its verification repeat on a retry).
public enum PipelinePhase: String, Sendable {
    case agent, verify, land
}

/// The per-file worktree pipeline: plan once, then for each file lease a worktree, run the agent,
/// verify, scope-check and land, with at most `maxParallelFiles` files in flight.
public struct Pipeline: Sendable {
    public let repository: GitRepository
    public let configuration: StomperConfiguration
    /// Every enabled linter (a `LinterSet` when there are several): planning lints with it once,
    /// verification re-lints each fixed file with it.
    public let linter: any Linter
    /// The fallback chain: each agent gets only what the ones before it left.
    public let agents: [any Agent]
    public let resourceGuard: any ResourceGuard
    public let logger: Logger
    /// The anti-suppression gate; nil when it is switched off.
    public let gate: SuppressionGate?
    /// Run after each attempt that the linters accept; nil when none is configured.
    public let tests: TestCommand?

    public init(repository: GitRepository, configuration: StomperConfiguration, linter: any Linter, agents: [any Agent],
                resourceGuard: any ResourceGuard = InProcessGuard(), gate: SuppressionGate? = SuppressionGate(),
                tests: TestCommand? = nil, logger: Logger) {
        precondition(!agents.isEmpty, "a pipeline needs at least one agent")
        self.repository = repository
        self.configuration = configuration
        self.linter = linter
        self.agents = agents
        self.resourceGuard = resourceGuard
        self.gate = gate
        self.tests = tests
        self.logger = logger
    }

    public init(repository: GitRepository, configuration: StomperConfiguration, linter: any Linter, agent: any Agent,
                resourceGuard: any ResourceGuard = InProcessGuard(), logger: Logger) {
        self.init(repository: repository, configuration: configuration, linter: linter, agents: [agent],
                  resourceGuard: resourceGuard, logger: logger)
    }

    /// The identity of the whole chain (part of every idempotency key).
    public var agentIdentity: AgentIdentity {
        if agents.count == 1 { return agents[0].identity }
        return AgentIdentity(kind: "chain", name: agents.map(\.identity.description).joined(separator: " then "),
                             settings: agents.map { "\($0.identity.kind)\u{1e}\($0.identity.name)\u{1e}\($0.identity.settings)" }
                                 .joined(separator: "\u{1d}"))
    }

    // MARK: Planning

    /// Lints the selection once (one linter process) and turns each file with diagnostics into a
    /// job, or into a skipped outcome when it must not be touched.
    ///
    /// - Parameters:
    ///   - paths: files or folders relative to the repository root; empty means everything.
    ///   - target: what the plan is for (`PlanTarget`): the checked-out branch, a branch ref only
    ///     (the base commit's content is linted, uncommitted changes do not matter), or nothing.
    public func plan(paths: [String], selection: FileSelection = FileSelection(),
                     target: PlanTarget = .checkout) async throws -> FixPlan {
        let repository = self.repository
        let head = try await BlockingIO.run { try repository.head() }
        let resolved = try resolve(target, head: head)
        let (branch, base) = (resolved.branch, resolved.base)
        let toolVersions = try await Self.versions(of: linter)
        let linted = resolved.landing == .branchOnly
            ? try await lintCommit(base, paths: paths)
            : try await linter.lintGrouped(paths: paths, root: repository.workdir)
        let selected = selection.apply(linted)
        let byFile = selected.files
        let files = byFile.keys.sorted()
        let entries = try await BlockingIO.run { try repository.entries(at: files, in: base) }
        // Landing only on a branch ref never reads or writes the working tree: its edits do not matter.
        let dirty = files.isEmpty || resolved.landing == .branchOnly ? [] : try await BlockingIO.run { try repository.uncommittedPaths() }
        let configurationHash = configuration.resultHash
        var jobs: [FileJob] = []
        var skipped: [FileOutcome] = []
        for path in files {
            let diagnostics = byFile[path] ?? []
            guard !path.hasPrefix("/"), let entry = entries[path] else {
                skipped.append(.skipped(withDiagnostics: diagnostics, path, "not tracked by git: commit the file to let stomper fix it"))
                continue
            }
            guard entry.mode == .regular || entry.mode == .executable else {
                skipped.append(.skipped(withDiagnostics: diagnostics, path, "not a regular file"))
                continue
            }
            guard !dirty.contains(path) else {
                skipped.append(.skipped(withDiagnostics: diagnostics, path, "uncommitted changes"))
                continue
            }
            // Targets follow the fixers: a job takes on only what some agent of the chain can fix;
            // the rest needs an AI agent and is reported so, not as a failure of this run's fixer.
            let targets = diagnostics.filter(canFix)
            let untargeted = diagnostics.filter { !canFix($0) }
            guard !targets.isEmpty else {
                var outcome = FileOutcome.skipped(path, Self.needsAgentReason(untargeted), diagnostics: diagnostics.count)
                outcome.status = .needsAgent
                outcome.needsAgent = untargeted.sorted()
                skipped.append(outcome)
                continue
            }
            let key = IdempotencyKey(path: path, baseBlob: entry.id, diagnostics: targets, agent: agentIdentity,
                                     toolVersions: toolVersions, configurationHash: configurationHash)
            let all = linted[path] ?? diagnostics
            jobs.append(FileJob(path: path, baseBlob: entry.id, diagnostics: targets, key: key,
                                baseline: all.count == targets.count ? nil : all, needsAgent: untargeted.sorted()))
        }
        return FixPlan(runID: FixPlan.newRunID(), branch: branch, base: base, jobs: jobs, skipped: skipped,
                       toolVersions: toolVersions, excluded: selected.excluded, landing: resolved.landing)
    }

    /// Whether some agent of the chain can fix `diagnostic`.
    public func canFix(_ diagnostic: Diagnostic) -> Bool {
        agents.contains { $0.canFix(diagnostic) }
    }

    /// Why a file with only diagnostics no fixer of the run can fix is left, with what to run.
    static func needsAgentReason(_ diagnostics: [Diagnostic]) -> String {
        let codes = Set(diagnostics.map(\.code)).sorted().joined(separator: ", ")
        return "needs an agent: \(codes) \(diagnostics.count == 1 ? "is" : "are") not autofixable "
            + "(try --chain autofix,claude or --agent chat)"
    }

    /// Each linter's version, by name (a set of linters reports every member's).
    public static func versions(of linter: any Linter) async throws -> [String: String] {
        if let set = linter as? LinterSet { return try await set.versions() }
        return [linter.name: try await linter.version()]
    }

    // MARK: Running

    /// Records a new run in the ledger (run, snapshot manifest, planned jobs) and returns its recorder.
    public func begin(_ plan: FixPlan, dryRun: Bool, ledger: Ledger) async throws -> RunRecorder {
        let snapshot = Snapshot(runID: plan.runID, jobs: plan.jobs)
        let now = Timestamp.now()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let run = RunRecord(
            id: plan.runID, status: .running, branch: plan.branch, baseCommit: plan.base.hex,
            configHash: configuration.resultHash,
            configJSON: String(decoding: try encoder.encode(configuration), as: UTF8.self),
            toolVersions: CanonicalJSON.object(plan.toolVersions.mapValues { .string($0) }).text,
            agent: CanonicalJSON.object(["kind": .string(agentIdentity.kind), "name": .string(agentIdentity.name),
                                         "settings": .string(agentIdentity.settings)]).text,
            snapshotID: snapshot.id, dryRun: dryRun, pid: getpid(), host: ProcessInfo.processInfo.hostName,
            createdAt: now, updatedAt: now, landing: plan.landing == .branchOnly ? .branch : .checkout)
        var jobs = try plan.jobs.map { job in
            JobRecord(runID: plan.runID, path: job.path, key: job.key.value, baseBlob: job.baseBlob.hex,
                      diagnostics: String(decoding: try encoder.encode(job.diagnostics), as: UTF8.self), state: .planned,
                      updatedAt: now)
        }
        let recorder = RunRecorder(ledger: ledger, runID: plan.runID)
        for skipped in plan.skipped {
            jobs.append(JobRecord(runID: plan.runID, path: skipped.path, key: "", baseBlob: "", diagnostics: "[]",
                                  state: .skipped(reason: skipped.reason ?? "skipped"), outcome: recorder.encode(skipped),
                                  updatedAt: now))
        }
        try await ledger.createRun(run, manifest: snapshot.manifest, jobs: jobs)
        try await recorder.event("run.started", step: "plan", [
            "branch": .string(plan.branch), "base": .string(plan.base.hex), "jobs": .int(plan.jobs.count),
            "skipped": .int(plan.skipped.count), "snapshot": .string(snapshot.id), "dry_run": .bool(dryRun),
            "parallel": .int(configuration.maxParallelFiles), "agent": .string(agentIdentity.description),
            "excluded": .int(plan.excluded.count), "landing": .string(plan.landing.name),
        ])
        return recorder
    }

    /// Runs every job of `plan` and folds the outcomes into a summary. With `dryRun`, fixes are
    /// verified but not committed, and each outcome carries its diff. With a recorder, every step
    /// goes to the ledger and verified fixes are cached under their keys (and reused, re-verified,
    /// when `useCache`); the run ends `completed`, or `interrupted` if the task was cancelled.
    ///
    /// `beforeCompletion` runs after the last job, unless the run was cancelled, and before the run
    /// is recorded `completed` (docgen goes there: a run killed during it is resumed, not lost).
    public func run(_ plan: FixPlan, dryRun: Bool, recorder: RunRecorder? = nil, useCache: Bool = true,
                    onEvent: @escaping @Sendable (PipelineEvent) -> Void = { _ in },
                    beforeCompletion: (@Sendable (RunSummary) async -> Void)? = nil) async throws -> RunSummary {
        guard let target = plan.landingTarget ?? (dryRun ? .checkout(branch: plan.branch) : nil) else {
            throw CoreError(.repositoryState, "\(plan.branch): nothing can land without a branch; pass --branch NAME")
        }
        var summary = RunSummary(plan.skipped)
        resourceGuard.attach(runID: plan.runID)
        let governor = AgentGovernor(
            threshold: configuration.breakerThreshold, cooldown: .seconds(configuration.breakerCooldownSeconds),
            maxCalls: configuration.maxAgentCalls > 0 ? configuration.maxAgentCalls : nil,
            timeBudget: configuration.timeBudgetSeconds > 0 ? .seconds(configuration.timeBudgetSeconds) : nil)
        let width = max(1, min(configuration.maxParallelFiles, plan.jobs.count))
        let pool = WorktreePool(repository: repository, capacity: width, keep: configuration.keepWorktrees)
        // Worktrees of a killed run go first, even when nothing is left to do (or, keeping
        // worktrees, are taken over with those earlier runs kept).
        let preparation = try await pool.prepare()
        if !preparation.removed.isEmpty {
            logger.info("removed worktrees left by an earlier run", metadata: ["worktrees": "\(preparation.removed)"])
            try await recorder?.event("worktree.stale_removed", step: "plan", ["worktrees": .strings(preparation.removed)])
        }
        if preparation.kept > 0 {
            logger.debug("taking over worktrees kept by an earlier run", metadata: ["worktrees": "\(preparation.kept)"])
        }
        if !plan.jobs.isEmpty {
            var learning: LearningReport?
            if configuration.learning, let recorder {
                learning = LearningReport(figures: try await recorder.ledger.learningFigures())
            }
            let context = JobContext(
                plan: plan, dryRun: dryRun, pool: pool, recorder: recorder, useCache: useCache && recorder != nil,
                writer: BranchWriter(repository: repository, target: target),
                // With every agent contained, the common git dir is read-only to them: any change
                // there is the user's own (`git config`, a remote, a checkout) and is left alone.
                // Without the sandbox, the snapshot is checked, and restored, after each attempt.
                gitDirectory: agents.allSatisfy(\.isContained) ? nil : GitDirectoryGuard(gitDirectory: repository.commonDir),
                scratch: repository.commonDir + "/stomper/tmp/" + plan.runID, governor: governor,
                backoff: Backoff(base: .milliseconds(configuration.backoffBaseMilliseconds), cap: .seconds(60)),
                learning: learning)
            await withTaskGroup(of: FileOutcome.self) { group in
                var pending = plan.jobs.makeIterator()
                for _ in 0..<width {
                    guard let job = pending.next() else { break }
                    group.addTask { await self.process(job, context, onEvent: onEvent) }
                }
                while let outcome = await group.next() {
                    summary.add(outcome)
                    onEvent(.finished(outcome))
                    // Once the governor stopped agent work, the jobs not started stay planned.
                    if !Task.isCancelled, await governor.stopReason == nil, let job = pending.next() {
                        group.addTask { await self.process(job, context, onEvent: onEvent) }
                    }
                }
            }
            await pool.close()
            try? FileManager.default.removeItem(atPath: context.scratch)
            // Jobs never started because the run was cancelled or its agent work stopped stay
            // `planned` in the ledger for resume.
            let stopReason = await governor.stopReason
            for job in plan.jobs where summary.outcomes[job.path] == nil {
                var outcome = FileOutcome(path: job.path, status: .skipped, reason: stopReason ?? "interrupted before it started",
                                          key: job.key, diagnosticsBefore: job.diagnostics.count)
                // Not started, whatever stopped the run: left planned for resume, not "skipped".
                outcome.deferred = true
                summary.add(outcome)
            }
        } else {
            // Lets go of kept worktrees `prepare()` claimed.
            await pool.close()
        }
        if !Task.isCancelled, let beforeCompletion { await beforeCompletion(summary) }
        if !summary.conflicts.isEmpty {
            logger.warning("a file was reported twice; kept one outcome deterministically", metadata: ["conflicts": "\(summary.conflicts.sorted())"])
            try await recorder?.event("summary.conflicts", step: "summary", level: .warning, ["conflicts": .strings(summary.conflicts.sorted())])
        }
        if let reason = await governor.stopReason {
            logger.warning("agent work stopped", metadata: ["reason": "\(reason)"])
            try await recorder?.event("run.agents_stopped", step: "agent", level: .warning, ["reason": .string(reason)])
        }
        if let recorder {
            // A run whose agent work stopped early is left `interrupted`: `stomper resume` finishes it.
            let interrupted = Task.isCancelled || summary.outcomes.values.contains { $0.deferred }
            try await recorder.event(interrupted ? "run.interrupted" : "run.finished", step: "summary", level: interrupted ? .warning : .info, [
                "fixed": .int(summary.count(.fixed)), "partially_fixed": .int(summary.count(.partiallyFixed)),
                "would_fix": .int(summary.count(.wouldFix)), "failed": .int(summary.count(.failed)),
                "skipped": .int(summary.skippedNotDeferred), "not_started": .int(summary.deferred.count), "diagnostics_fixed": .int(summary.diagnosticsFixed),
                "agent_calls": .int(summary.agentCalls),
            ])
            try await recorder.ledger.setRunStatus(plan.runID, interrupted ? .interrupted : .completed)
        }
        return summary
    }

    struct JobContext: Sendable {
        var plan: FixPlan
        var dryRun: Bool
        var pool: WorktreePool
        var recorder: RunRecorder?
        var useCache: Bool
        var writer: BranchWriter
        /// Nil when every agent is contained (the sandbox keeps them out of the common git dir).
        var gitDirectory: GitDirectoryGuard?
        var scratch: String
        var governor: AgentGovernor
        var backoff: Backoff
        var learning: LearningReport?
    }

    /// A fix that passed verification and scope checks, ready to land.
    struct VerifiedFix: Sendable {
        var patch: Patch
        var delta: DiagnosticDelta
        var diff: String
        var fromCache: Bool
        /// The agent's non-success exit status, when its change verified anyway.
        var agentExitStatus: Int32?
        /// Rules whose fixes narrowing left out, with the reason.
        var droppedRules: [String: String] = [:]
    }

    /// What the worktree phase of a job produced.
    enum WorktreeResult: Sendable {
        case verified(VerifiedFix, Tally)
        case notFixed(FileOutcome.Status, reason: String, delta: DiagnosticDelta?, changed: Bool, refusal: FileOutcome.Refusal?,
                      dropped: [String: String], Tally)
        /// No attempt could start (circuit breaker, budgets): the job is left planned for resume.
        case deferred(reason: String, Tally)
    }

    struct Tally: Sendable {
        var attempts = 0
        var agentCalls = 0
        var agentTime: Duration = .zero
        var usage: AgentUsage?
    }

    /// What verifying the worktree's current state found.
    enum Verification: Sendable {
        /// Every target fixed, nothing introduced, gate and tests passed.
        case verified(VerifiedFix)
        /// Some targets fixed, nothing introduced, gate and tests passed; the rest is left.
        case improved(VerifiedFix)
        /// Not good enough yet; another attempt may do better. `after`: the file's bytes as the
        /// attempt left them, when it changed the file (narrowing compares them with the start).
        case retry(AttemptFeedback, delta: DiagnosticDelta?, changed: Bool, reason: String, refusal: FileOutcome.Refusal,
                   after: [UInt8]?)
        /// Must not land. `final`: this agent gets no further attempt (it committed or wrote under
        /// .git); otherwise its changes are thrown away and it may try again, told why.
        case rejected(reason: String, final: Bool, refusal: FileOutcome.Refusal)

        /// Verified or kept as an improvement.
        var accepted: Bool {
            switch self {
            case .verified, .improved: return true
            case .retry, .rejected: return false
            }
        }
    }

    private func process(_ job: FileJob, _ context: JobContext, onEvent: @escaping @Sendable (PipelineEvent) -> Void) async -> FileOutcome {
        let path = job.path
        let clock = PhaseClock(onPhase: { name in
            if let phase = PipelinePhase(rawValue: name) { onEvent(.phase(path: path, phase)) }
        })
        return await PhaseClock.$current.withValue(clock) {
            await process(job, context, clock: clock, onEvent: onEvent)
        }
    }

    private func process(_ job: FileJob, _ context: JobContext, clock: PhaseClock,
                         onEvent: @Sendable (PipelineEvent) -> Void) async -> FileOutcome {
        onEvent(.started(path: job.path))
        let start = ContinuousClock.now
        var outcome = FileOutcome(path: job.path, status: .failed, key: job.key, diagnosticsBefore: job.diagnostics.count)
        let recorder = context.recorder
        do {
            try await recorder?.event("job.started", step: "plan", job: job.path, [
                "key": .string(job.key.value), "diagnostics": .int(job.diagnostics.count),
            ])
            // The file is claimed (CRIT_CODE) for the whole job: another stomper process on the
            // repository waits for it, or leaves it to this one.
            let claimed = outcome
            if context.dryRun {
                // A dry run commits nothing, so it claims nothing: a real run beside it is never
                // kept off a file by it.
                outcome = try await work(on: job, context, grant: .unfenced(token: FencingToken(0)), outcome: claimed, start: start, clock: clock)
            } else {
                outcome = try await resourceGuard.withResources([.file(job.path)], mode: configuration.operationMode) { grant in
                    try await self.work(on: job, context, grant: grant, outcome: claimed, start: start, clock: clock)
                }
            }
        } catch let error as CoordinationError where error.code == .resourceBusy {
            outcome.status = .skipped
            outcome.leftTo = error.holder?.description ?? "another writer"
            outcome.reason = "being fixed by \(outcome.leftTo!): left to it"
        } catch {
            outcome.status = .failed
            outcome.reason = Redactor.process.redact("\(error)")
        }
        if Task.isCancelled && outcome.status == .failed {
            // Stopped from outside (Ctrl-C): the job's own result says nothing about the file.
            outcome.status = .skipped
            outcome.reason = "interrupted before the fix was verified"
        }
        outcome.totalSeconds = (ContinuousClock.now - start).seconds
        await finish(job, outcome, context)
        outcome.phases = clock.seconds
        return outcome
    }

    /// The job once its file is claimed: skip it if the branch changed it since planning (another
    /// writer got there first), else fix it in a worktree and land the verified fix.
    private func work(on job: FileJob, _ context: JobContext, grant: LeaseGrant, outcome start: FileOutcome,
                      start startTime: ContinuousClock.Instant, clock: PhaseClock) async throws -> FileOutcome {
        var outcome = start
        if let changed = try await changedSincePlanning(job, context) {
            outcome.status = .skipped
            outcome.leftTo = changed
            outcome.reason = "changed on \(context.plan.branch) since this run planned it: left to \(changed)"
            return outcome
        }
        let leaseStart = ContinuousClock.now
        let result = try await context.pool.withWorktree(at: context.plan.base) { worktree in
            clock.add("worktree", ContinuousClock.now - leaseStart)
            return try await self.fixInWorktree(job, worktree, context)
        }
        switch result {
        case .notFixed(let status, let reason, let delta, let changed, let refusal, let dropped, let tally):
            outcome.status = status
            outcome.reason = reason
            // Nothing landed: what is left is the file as it is on the branch, at its own lines.
            outcome.remaining = job.diagnostics
            outcome.needsAgent = job.needsAgent
            outcome.introduced = delta?.introduced ?? []
            outcome.fixed = [:]
            outcome.changed = changed
            outcome.refusal = refusal
            outcome.droppedRules = Self.readable(dropped)
            outcome.record(tally)
        case .deferred(let reason, let tally):
            outcome.record(tally)
            outcome.status = .skipped
            outcome.deferred = true
            outcome.reason = reason
        case .verified(let fix, let tally):
            outcome.record(tally)
            outcome.changed = true
            outcome.fixed = fix.delta.allFixed
            // What is left refers to the fixed file, which is what lands.
            outcome.remaining = fix.delta.remaining
            let needsAgentRules = Set(job.needsAgent.map(RuleNarrowing.rule))
            outcome.needsAgent = fix.delta.untargeted.filter { needsAgentRules.contains(RuleNarrowing.rule($0)) }
            outcome.droppedRules = Self.readable(fix.droppedRules)
            outcome.agentExitStatus = fix.agentExitStatus
            try await land(fix, job, context, grant: grant, into: &outcome, elapsed: ContinuousClock.now - startTime)
        }
        return outcome
    }

    /// Who changed the file on the branch since planning, if anyone did: the commit that carries
    /// a newer version (another stomper process's fix, or a person's commit).
    private func changedSincePlanning(_ job: FileJob, _ context: JobContext) async throws -> String? {
        // A plan of a detached HEAD (dry run, no branch) has no branch anyone could move.
        guard context.plan.landing != .none else { return nil }
        let repository = self.repository
        let branch = context.plan.branch
        let base = context.plan.base
        return try await BlockingIO.run { () throws -> String? in
            guard let tip = try repository.branchTip(branch), tip != base else { return nil }
            let entry = try repository.entry(at: job.path, in: tip)
            guard entry?.id != job.baseBlob else { return nil }
            return "the writer of \(branch) at \(tip.hex.prefix(12))"
        }
    }

    /// Records how a job ended. An interrupted job goes back to `planned` so `resume` runs it again.
    private func finish(_ job: FileJob, _ outcome: FileOutcome, _ context: JobContext) async {
        guard let recorder = context.recorder else { return }
        do {
            let current = try await recorder.state(of: job.path)
            let next: JobState?
            switch outcome.status {
            case .fixed, .partiallyFixed:
                next = nil  // recorded with the landing, in the same transaction as its receipt
            case .wouldFix:
                next = .skipped(reason: "dry run: verified fix not committed")
            case .failed:
                next = .failed(reason: outcome.reason ?? "not fixed")
            case .skipped where Task.isCancelled || outcome.deferred:
                next = current == .planned ? nil : .planned
            case .skipped, .needsAgent:
                next = .skipped(reason: outcome.reason ?? "skipped")
            }
            if let next, let current, current != next {
                try await recorder.transition(job.path, to: next, outcome: outcome)
            }
            try await recorder.event("job.finished", step: "summary", job: job.path,
                                     level: outcome.status == .failed ? .warning : .info, [
                "status": .string(outcome.status.rawValue), "reason": .string(outcome.reason),
                "attempts": .int(outcome.attempts), "agent_calls": .int(outcome.agentCalls),
                "ms": .milliseconds(outcome.totalSeconds),
            ])
        } catch {
            logger.error("could not record the end of a job in the ledger", metadata: ["path": "\(job.path)", "error": "\(error)"])
        }
    }

    private func land(_ fix: VerifiedFix, _ job: FileJob, _ context: JobContext, grant: LeaseGrant,
                      into outcome: inout FileOutcome, elapsed: Duration) async throws {
        let partial = !fix.delta.isComplete
        if context.dryRun {
            outcome.status = .wouldFix
            outcome.diff = fix.diff
            return
        }
        let tools = job.diagnostics.filter { fix.delta.fixed[$0.code] != nil }.map(\.tool)
            + (job.baseline ?? []).filter { fix.delta.alsoFixed[$0.code] != nil }.map(\.tool)
        let left = fix.delta.remaining + outcome.needsAgent
        let message = CommitMessage.make(tools: tools, path: job.path, fixed: fix.delta.allFixed,
                                         remaining: Dictionary(grouping: left, by: \.code).mapValues(\.count),
                                         runID: context.plan.runID, key: job.key)
        let writer = context.writer
        let patch = fix.patch
        let recorder = context.recorder
        // The intent is durable before the working tree is touched, so resume can undo a landing
        // that was killed half-way.
        let branchOnly = !writer.target.writesCheckout
        // Version 2 records a ref-only landing: an older stomper refuses it rather than "repair" a
        // working tree the landing never wrote.
        try await recorder?.event("land.started", step: "land", job: job.path, [
            "version": .int(branchOnly ? 2 : 1), "key": .string(job.key.value),
            "target": branchOnly ? .string("branch") : .null,
            "changes": .array(patch.changes.map { change in
                .object(["path": .string(change.path), "old_blob": .string(change.old?.id.hex),
                         "old_mode": change.old.map { .int(Int($0.mode.rawValue)) } ?? .null,
                         "new_blob": .string(change.new?.id.hex)])
            }),
        ])
        Failpoint.hit("land.before")
        do {
            // The job's own file is already claimed; other paths the patch may touch are taken now.
            let others = patch.paths.filter { $0 != job.path }.map(ResourceDescriptor.file)
            let commit = try await resourceGuard.withResources(others, mode: configuration.operationMode) { extra in
                try await PhaseClock.current!.measure("land") {
                    // Fencing at the write: refused (StaleVersion) if a newer holder was granted a path.
                    try await writer.land(patch, message: message, author: nil, fence: {
                        try grant.checkWrite()
                        try extra.checkWrite()
                    })
                }
            }
            Failpoint.hit("land.after")
            outcome.status = partial ? .partiallyFixed : .fixed
            outcome.commit = commit
            if partial { outcome.reason = remain(fix.delta.remaining.count) }
            if !outcome.droppedRules.isEmpty {
                let rules = outcome.droppedRules.keys.sorted().map { $0.split(separator: ":").last.map(String.init) ?? $0 }
                outcome.reason = (outcome.reason.map { $0 + "; " } ?? "") + "left out the fixes of " + rules.joined(separator: ", ")
            }
            if let recorder {
                var landed = outcome
                landed.totalSeconds = elapsed.seconds
                try await recordLanding(landed, job, fix, commit, recorder)
            }
        } catch let error as CoordinationError where error.code == .staleVersion {
            outcome.status = .failed
            outcome.reason = "verified fix refused: \(error)"
            outcome.leftTo = error.holder?.description ?? "a newer lease holder"
            outcome.fixed = [:]
            try? await recorder?.event("land.finished", step: "land", job: job.path, level: .warning,
                                       ["result": .string("stale"), "error": .string("\(error)")])
        } catch let error as GitError where error.code == .detachedHead {
            // The user switched the main working tree to another branch: nothing more may land
            // on it now. This fix (verified and cached) and every file not started are left for
            // `stomper resume` once HEAD is back on the branch.
            // Landing only on the ref, the same code means someone checked the branch out meanwhile.
            let reason = context.plan.landing == .branchOnly
                ? "\(context.plan.branch) was checked out while stomper was landing on it; landings stopped: "
                    + "switch that checkout to another branch and run `stomper resume`"
                : "HEAD of the main working tree left \(context.plan.branch); landings stopped: "
                    + "`git switch \(context.plan.branch)` and run `stomper resume`"
            await context.governor.halt(reason)
            outcome.status = .skipped
            outcome.deferred = true
            outcome.reason = reason
            outcome.fixed = [:]
            try? await recorder?.event("land.finished", step: "land", job: job.path, level: .warning,
                                       ["result": .string("head moved"), "error": .string("\(error)")])
        } catch let error as GitError where error.code == .uncommittedChanges {
            outcome.status = .skipped
            outcome.reason = "uncommitted changes"
            outcome.fixed = [:]
            try? await recorder?.event("land.finished", step: "land", job: job.path, level: .warning, ["result": .string("uncommitted changes")])
        } catch {
            outcome.status = .failed
            outcome.reason = "verified fix could not be committed: \(error)"
            outcome.fixed = [:]
            try? await recorder?.event("land.finished", step: "land", job: job.path, level: .error, ["result": .string("\(error)")])
        }
    }

    private func recordLanding(_ outcome: FileOutcome, _ job: FileJob, _ fix: VerifiedFix, _ commit: ObjectID,
                               _ recorder: RunRecorder) async throws {
        let receipt = ReceiptRecord(
            runID: recorder.runID, path: job.path, key: job.key.value, commit: commit.hex,
            patchSHA256: sha256Hex(fix.diff), diagnosticsFixed: CanonicalJSON.counts(outcome.fixed).text,
            agentCalls: outcome.agentCalls, agentSeconds: outcome.agentSeconds, totalSeconds: outcome.totalSeconds,
            cacheHit: fix.fromCache)
        try await recorder.recordLanding(
            path: job.path, commit: commit.hex, outcome: outcome, receipt: receipt,
            event: EventRecord(runID: recorder.runID, job: job.path, type: "land.finished", step: "land",
                               data: CanonicalJSON.object(["result": .string("landed"), "commit": .string(commit.hex),
                                                           "key": .string(job.key.value)]).text))
    }

    /// Narrowing's rule keys as `tool:code`.
    static func readable(_ dropped: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: dropped.map { ($0.key.replacingOccurrences(of: "\u{1f}", with: ":"), $0.value) })
    }

    static func gitWriteReason(_ touched: [String]) -> String {
        "agent wrote under .git (\(touched.joined(separator: ", "))); restored, nothing committed"
    }

    static func verificationFailure(_ delta: DiagnosticDelta?) -> String {
        guard let delta else { return "not fixed" }
        var parts: [String] = []
        if !delta.remaining.isEmpty {
            let codes = Set(delta.remaining.map(\.code)).sorted().joined(separator: ", ")
            parts.append("\(remain(delta.remaining.count)) (\(codes))")
        }
        if !delta.introduced.isEmpty {
            let codes = Set(delta.introduced.map(\.code)).sorted().joined(separator: ", ")
            parts.append("the fix introduced \(plural(delta.introduced.count, "new diagnostic")) (\(codes))")
        }
        return parts.isEmpty ? "not fixed" : parts.joined(separator: "; ")
    }
}

extension FileOutcome {
    mutating func record(_ tally: Pipeline.Tally) {
        attempts = tally.attempts
        agentCalls = tally.agentCalls
        agentSeconds = tally.agentTime.seconds
        usage = tally.usage
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The `.git` file at the root of a linked worktree, which points git at the worktree's git
/// directory. An agent that replaces or edits it is writing under `.git`.
struct WorktreeLink {
    let path: String
    let original: Data?

    init(worktree: String) {
        path = worktree + "/.git"
        original = FileManager.default.contents(atPath: path)
    }

    /// Puts the original back if it changed, never through a link; returns `[".git"]` if it did.
    /// A restore that fails throws: the worktree's git commands would run against what the agent left.
    func restoreIfChanged() throws -> [String] { try restoreWorktreeLink(at: path, original: original) }
}

/// `1 diagnostic remains`, `2 diagnostics remain`.
func remain(_ count: Int) -> String {
    plural(count, "diagnostic") + (count == 1 ? " remains" : " remain")
}

/// `1 diagnostic`, `2 diagnostics`.
public func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
