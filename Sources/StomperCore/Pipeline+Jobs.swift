import Foundation
import Logging
import StomperCoordination
import StomperGit
import StomperLedger
import StomperProcess

extension Pipeline {
    /// One job of a run, under its own phase clock (whose phases the progress display shows),
    /// from its start to its recorded end.
    func process(_ job: FileJob, _ context: RunContext, onEvent: @escaping @Sendable (PipelineEvent) -> Void) async -> FileOutcome {
        let path = job.path
        let clock = PhaseClock(onPhase: { name in
            if let phase = PipelinePhase(rawValue: name) { onEvent(.phase(path: path, phase)) }
        })
        return await process(JobRun(job: job, context: context, clock: clock), onEvent: onEvent)
    }

    private func process(_ job: JobRun, onEvent: @Sendable (PipelineEvent) -> Void) async -> FileOutcome {
        onEvent(.started(path: job.path))
        let start = ContinuousClock.now
        var outcome = FileOutcome(path: job.path, status: .failed, key: job.key, diagnosticsBefore: job.diagnostics.count)
        do {
            try await job.recorder?.event(
                "job.started", step: "plan", job: job.path,
                [
                    "key": .string(job.key.value), "diagnostics": .int(job.diagnostics.count),
                ])
            // The file is claimed (CRIT_CODE) for the whole job: another stomper process on the
            // repository waits for it, or leaves it to this one.
            let claimed = outcome
            if job.context.dryRun {
                // A dry run commits nothing, so it claims nothing: a real run beside it is never
                // kept off a file by it.
                outcome = try await work(on: job, grant: .unfenced(token: FencingToken(0)), outcome: claimed, start: start)
            } else {
                outcome = try await resourceGuard.withResources([.file(job.path)], mode: configuration.operationMode) { grant in
                    try await self.work(on: job, grant: grant, outcome: claimed, start: start)
                }
            }
        } catch let error as CoordinationError where error.code == .resourceBusy {
            outcome.status = .skipped
            let holder = error.holder?.description ?? "another writer"
            outcome.leftTo = holder
            outcome.reason = "being fixed by \(holder): left to it"
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
        await finish(job, outcome)
        outcome.phases = job.clock.seconds
        return outcome
    }

    /// The job once its file is claimed: skip it if the branch changed it since planning (another
    /// writer got there first), else fix it in a worktree and land the verified fix.
    private func work(
        on job: JobRun, grant: LeaseGrant, outcome start: FileOutcome,
        start startTime: ContinuousClock.Instant
    ) async throws -> FileOutcome {
        var outcome = start
        if let changed = try await changedSincePlanning(job) {
            outcome.status = .skipped
            outcome.leftTo = changed
            outcome.reason = "changed on \(job.context.plan.branch) since this run planned it: left to \(changed)"
            return outcome
        }
        let leaseStart = ContinuousClock.now
        let fix = { (worktree: Worktree) async throws -> WorktreeResult in
            job.clock.add("worktree", ContinuousClock.now - leaseStart)
            return try await self.fixInWorktree(job, worktree)
        }
        let pool = job.context.pool
        let result: WorktreeResult
        if let sparse = job.context.sparse {
            let path = job.path
            result = try await pool.withWorktree(at: job.context.plan.base, sparse: { tree in sparse.paths(for: path, in: tree) }, fix)
        } else {
            result = try await pool.withWorktree(at: job.context.plan.base, fix)
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
            try await land(fix, job, grant: grant, into: &outcome, elapsed: ContinuousClock.now - startTime)
        }
        return outcome
    }

    /// Who changed the file on the branch since planning, if anyone did: the commit that carries
    /// a newer version (another stomper process's fix, or a person's commit).
    private func changedSincePlanning(_ job: JobRun) async throws -> String? {
        // A plan of a detached HEAD (dry run, no branch) has no branch anyone could move.
        guard job.context.plan.landing != .none else { return nil }
        let repository = self.repository
        let branch = job.context.plan.branch
        let base = job.context.plan.base
        return try await BlockingIO.run { () throws -> String? in
            guard let tip = try repository.branchTip(branch), tip != base else { return nil }
            let entry = try repository.entry(at: job.path, in: tip)
            guard entry?.id != job.baseBlob else { return nil }
            return "the writer of \(branch) at \(tip.hex.prefix(12))"
        }
    }

    /// Records how a job ended (`JobTransition.finished`). An interrupted job goes back to
    /// `planned` so `resume` runs it again.
    private func finish(_ job: JobRun, _ outcome: FileOutcome) async {
        do {
            try await job.transition(.finished(outcome, interrupted: Task.isCancelled))
        } catch {
            logger.error("could not record the end of a job in the ledger", metadata: ["path": "\(job.path)", "error": "\(error)"])
        }
    }

    /// Narrowing's rule keys as `tool:code`.
    static func readable(_ dropped: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: dropped.map { ($0.key.replacingOccurrences(of: "\u{1f}", with: ":"), $0.value) })
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
