import Foundation
import Logging
import StomperAgents
import StomperCoordination
import StomperGit
import StomperLedger

extension Pipeline {
    /// Runs every job of `plan` and folds the outcomes into a summary. With `dryRun`, fixes are
    /// verified but not committed, and each outcome carries its diff. With a recorder, every step
    /// goes to the ledger and verified fixes are cached under their keys (and reused, re-verified,
    /// when `useCache`); the run ends `completed`, or `interrupted` if the task was cancelled.
    ///
    /// `beforeCompletion` runs after the last job, unless the run was cancelled, and before the run
    /// is recorded `completed` (docgen goes there: a run killed during it is resumed, not lost).
    public func run(
        _ plan: FixPlan, dryRun: Bool, recorder: RunRecorder? = nil, useCache: Bool = true,
        onEvent: @escaping @Sendable (PipelineEvent) -> Void = { _ in },
        beforeCompletion: (@Sendable (RunSummary) async -> Void)? = nil
    ) async throws -> RunSummary {
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
        let sparse = try usesSparseWorktrees() ? SparseSelection() : nil
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
            let context = RunContext(
                plan: plan, dryRun: dryRun, pool: pool, recorder: recorder, useCache: useCache && recorder != nil,
                writer: BranchWriter(repository: repository, target: target),
                // With every agent contained, the common git dir is read-only to them: any change
                // there is the user's own (`git config`, a remote, a checkout) and is left alone.
                // Without the sandbox, the snapshot is checked, and restored, after each attempt.
                gitDirectory: agents.allSatisfy(\.isContained) ? nil : GitDirectoryGuard(gitDirectory: repository.commonDir),
                scratch: repository.commonDir + "/stomper/tmp/" + plan.runID, governor: governor,
                backoff: Backoff(base: .milliseconds(configuration.backoffBaseMilliseconds), cap: .seconds(60)),
                learning: learning, sparse: sparse)
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
            // What the jobs' worktrees cost: full checkouts, kept ones taken over, sparse folders.
            try await recorder?.event(
                "worktree.pool", step: "summary",
                [
                    "mode": .string(sparse == nil ? "full" : "sparse"), "checked_out": .int(await pool.worktreesCreated),
                    "taken_over": .int(await pool.worktreesTakenOver), "sparse": .int(await pool.sparseWorktreesCreated),
                ])
            // Jobs never started because the run was cancelled or its agent work stopped stay
            // `planned` in the ledger for resume.
            let stopReason = await governor.stopReason
            for job in plan.jobs where summary.outcomes[job.path] == nil {
                var outcome = FileOutcome(
                    path: job.path, status: .skipped, reason: stopReason ?? "interrupted before it started",
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
            try await recorder.event(
                interrupted ? "run.interrupted" : "run.finished", step: "summary", level: interrupted ? .warning : .info,
                [
                    "fixed": .int(summary.count(.fixed)), "partially_fixed": .int(summary.count(.partiallyFixed)),
                    "would_fix": .int(summary.count(.wouldFix)), "failed": .int(summary.count(.failed)),
                    "skipped": .int(summary.skippedNotDeferred), "not_started": .int(summary.deferred.count),
                    "diagnostics_fixed": .int(summary.diagnosticsFixed),
                    "agent_calls": .int(summary.agentCalls),
                ])
            try await recorder.ledger.setRunStatus(plan.runID, interrupted ? .interrupted : .completed)
        }
        return summary
    }
}
