import Foundation
import StomperGit
import StomperAgents
public import StomperLedger
import StomperQuality

/// What `resume` found and did before continuing a run.
public struct ResumeReport: Sendable {
    public var plan: FixPlan
    public var recorder: RunRecorder
    /// Jobs found landed in git history though the ledger had not recorded it.
    public var reconciled: [String] = []
    /// Paths a half-finished landing had written, put back.
    public var repaired: [String] = []
    /// Jobs whose file changed since the snapshot, planned again with a new key.
    public var replanned: [String] = []
    /// Jobs that were running or verified when the process died, queued again.
    public var requeued: [String] = []
}

extension Pipeline {
    /// Makes an unfinished run ready to continue: takes it over, repairs what a killed landing
    /// left, reconciles the ledger with git history (a commit carrying a job's `Stomper-Key`
    /// means that job landed), re-queues unfinished jobs, re-plans files that changed since the
    /// snapshot, and returns the plan of what is left.
    public func prepareResume(of run: RunRecord, ledger: Ledger) async throws -> ResumeReport {
        let repository = self.repository
        let branch = run.branch
        let tip: ObjectID
        switch run.landing {
        case .checkout:
            let head = try await BlockingIO.run { try repository.head() }
            guard case .branch(branch, let commit) = head else {
                throw CoreError(
                    .repositoryState, "run \(run.id) commits to \(run.branch), but HEAD is not on it: `git switch \(run.branch)` and resume again")
            }
            tip = commit
        case .branch:
            // A ref-only run (`fix --branch`): HEAD and the working tree play no part.
            if let worktree = repository.worktreeCheckingOut(branch: branch) {
                throw CoreError(
                    .repositoryState,
                    "run \(run.id) commits only to the ref of \(branch), but \(branch) is now checked out in "
                        + "\(worktree): switch that checkout away from it and resume again")
            }
            guard let start = try repository.branchTip(branch) ?? ObjectID(hex: run.baseCommit) else {
                throw CoreError(.badRecord, "run \(run.id) has no readable base commit (\(run.baseCommit))")
            }
            tip = start
        }
        let branchOnly = run.landing == .branch
        let recorder = RunRecorder(ledger: ledger, runID: run.id)
        try await ledger.adoptRun(run.id, pid: getpid(), host: ProcessInfo.processInfo.hostName)
        try await recorder.event("run.resumed", step: "resume", ["previous_pid": .int(Int(run.pid)), "tip": .string(tip.hex)])
        var report = ResumeReport(
            plan: FixPlan(
                runID: run.id, branch: branch, base: tip, jobs: [], skipped: [], toolVersions: [:],
                landing: branchOnly ? .branchOnly : .checkout),
            recorder: recorder)

        // 1. Landings the dead process started and did not finish.
        let interrupted = try await interruptedLandings(run.id, ledger: ledger)
        if !interrupted.isEmpty {
            // A lock on the index or the branch ref the dead landing left is cleared by the
            // landing lock the repair takes (it knows the landing died half-way; see LandingLock).
            // A ref-only landing wrote no working tree and its ref move is atomic: nothing to undo.
            for (job, intent) in interrupted where intent.target == .checkout {
                let changes = try intent.treeChanges(job: job)
                let restored = try await BlockingIO.run { try repository.repairInterruptedLanding(branch: branch, changes: changes) }
                report.repaired += restored
            }
            if !report.repaired.isEmpty {
                try await recorder.event("landing.repaired", step: "resume", level: .warning, ["paths": .strings(report.repaired)])
            }
        }

        // 2. Git history is the truth about what landed.
        let base = ObjectID(hex: run.baseCommit)
        let landedKeys = try await BlockingIO.run { try repository.trailerValues("Stomper-Key", from: tip, excluding: base) }
        var jobs = try await ledger.jobs(runID: run.id)
        for (index, job) in jobs.enumerated() where !job.state.isTerminal {
            if let commit = landedKeys[job.key] {
                jobs[index].state = try await recorder.transition(job.path, .reconciled(commit: commit.hex, key: job.key), from: job.state)
                report.reconciled.append(job.path)
            } else if job.state != .planned {
                jobs[index].state = try await recorder.transition(job.path, .requeued, from: job.state)
                report.requeued.append(job.path)
            }
        }

        // 3. What is left, re-planned where the file changed since the snapshot.
        let planned = jobs.filter { $0.state == .planned }
        let paths = planned.map(\.path)
        let entries = try await BlockingIO.run { try repository.entries(at: paths, in: tip) }
        let dirty = paths.isEmpty || branchOnly ? [] : try await BlockingIO.run { try repository.uncommittedPaths() }
        // Every file still there is linted again: a changed one is planned anew, an unchanged one
        // gets back its full baseline (what it has besides its targets must not count as introduced).
        // A ref-only run lints the branch's content, never the working tree.
        let present = paths.filter { entries[$0] != nil && !dirty.contains($0) }
        let relinted =
            present.isEmpty
            ? [:]
            : branchOnly
                ? try await lintCommit(tip, paths: present)
                : try await linter.lintGrouped(paths: present, root: repository.workdir)
        let toolVersions = (try? JSONDecoder().decode([String: String].self, from: Data(run.toolVersions.utf8))) ?? [:]
        report.plan.toolVersions = toolVersions
        for job in planned {
            if dirty.contains(job.path) {
                try await recorder.transition(job.path, .dropped(reason: "uncommitted changes", outcome: nil), from: job.state)
                report.plan.skipped.append(.skipped(job.path, "uncommitted changes", diagnostics: 0))
                continue
            }
            guard let entry = entries[job.path] else {
                try await recorder.transition(job.path, .dropped(reason: "the file no longer exists on \(branch)", outcome: nil), from: job.state)
                report.plan.skipped.append(.skipped(job.path, "the file no longer exists on \(branch)", diagnostics: 0))
                continue
            }
            if entry.id.hex == job.baseBlob {
                let diagnostics = try JSONDecoder().decode([Diagnostic].self, from: Data(job.diagnostics.utf8))
                let all = relinted[job.path] ?? diagnostics
                let targeted = Set(diagnostics.map(RuleNarrowing.rule))
                report.plan.jobs.append(
                    FileJob(
                        path: job.path, baseBlob: entry.id, diagnostics: diagnostics,
                        key: IdempotencyKey(stored: job.key), baseline: all,
                        needsAgent: all.filter { !targeted.contains(RuleNarrowing.rule($0)) && !canFix($0) }))
                continue
            }
            let all = relinted[job.path] ?? []
            let diagnostics = all.filter(canFix)
            if diagnostics.isEmpty && !all.isEmpty {
                var outcome = FileOutcome.skipped(job.path, Self.needsAgentReason(all), diagnostics: all.count)
                outcome.status = .needsAgent
                outcome.needsAgent = all.sorted()
                try await recorder.transition(job.path, .dropped(reason: outcome.reason ?? "needs an agent", outcome: outcome), from: job.state)
                report.plan.skipped.append(outcome)
                continue
            }
            guard !diagnostics.isEmpty else {
                try await recorder.transition(
                    job.path, .dropped(reason: "no diagnostics left: the file changed since the run started", outcome: nil),
                    from: job.state)
                report.plan.skipped.append(.skipped(job.path, "no diagnostics left: the file changed since the run started", diagnostics: 0))
                continue
            }
            let key = IdempotencyKey(
                path: job.path, baseBlob: entry.id, diagnostics: diagnostics, agent: agentIdentity,
                toolVersions: toolVersions, configurationHash: configuration.resultHash)
            var updated = job
            updated.key = key.value
            updated.baseBlob = entry.id.hex
            updated.diagnostics = String(decoding: try JSONEncoder().encode(diagnostics), as: UTF8.self)
            // Not a change of state (the job stays planned): its plan is replaced.
            try await ledger.replan(updated)
            try await recorder.event(
                "job.replanned", step: "resume", job: job.path,
                [
                    "reason": .string("the file changed since the snapshot"), "old_blob": .string(job.baseBlob),
                    "new_blob": .string(entry.id.hex), "old_key": .string(job.key), "new_key": .string(key.value),
                ])
            report.replanned.append(job.path)
            report.plan.jobs.append(
                FileJob(
                    path: job.path, baseBlob: entry.id, diagnostics: diagnostics, key: key, baseline: all,
                    needsAgent: all.filter { !canFix($0) }))
        }
        // Files the run found needing an agent stay part of its result (and of the exit status).
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        for job in jobs where job.state.name == "skipped" {
            // An outcome written by an older version may not decode; it is then only left out of the summary.
            guard let text = job.outcome, let outcome = try? decoder.decode(FileOutcome.self, from: Data(text.utf8)),
                outcome.status == .needsAgent
            else { continue }
            report.plan.skipped.append(outcome)
        }
        return report
    }

    /// The change lists of `land.started` events with no `land.finished` after them, per job. A
    /// record that cannot be read stops the resume (`CoreError.badRecord`): skipping it would
    /// leave that landing's half-written files unrepaired.
    private func interruptedLandings(_ runID: String, ledger: Ledger) async throws -> [(job: String, intent: LandingIntent)] {
        var open: [String: String] = [:]
        for event in try await ledger.events(runID: runID) where event.type.hasPrefix("land.") {
            guard let job = event.job else { continue }
            if event.type == "land.started" { open[job] = event.data } else if event.type == "land.finished" { open[job] = nil }
        }
        var landings: [(job: String, intent: LandingIntent)] = []
        for job in open.keys.sorted() {
            let intent = try LandingIntent.decode(open[job]!, job: job)
            _ = try intent.treeChanges(job: job)  // unreadable ids stop the resume, whatever the target
            landings.append((job, intent))
        }
        return landings
    }
}
