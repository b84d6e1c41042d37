import Foundation
import StomperCoordination
import StomperGit
import StomperLedger
import StomperProcess
import StomperQuality

extension Pipeline {
    /// Lands a verified fix: records the intent (`land.started`), takes the other paths the patch
    /// touches, and lets the branch writer commit it under the fences of every lease held; a dry
    /// run only keeps the diff. A landing refused for a reason of its own (a newer lease holder,
    /// HEAD moved, uncommitted changes, a failed write) becomes the outcome, not an error.
    func land(
        _ fix: VerifiedFix, _ job: JobRun, grant: LeaseGrant,
        into outcome: inout FileOutcome, elapsed: Duration
    ) async throws {
        let partial = !fix.delta.isComplete
        if job.context.dryRun {
            outcome.status = .wouldFix
            outcome.diff = fix.diff
            return
        }
        let tools =
            job.diagnostics.filter { fix.delta.fixed[$0.code] != nil }.map(\.tool)
            + (job.baseline ?? []).filter { fix.delta.alsoFixed[$0.code] != nil }.map(\.tool)
        let left = fix.delta.remaining + outcome.needsAgent
        let message = CommitMessage.make(
            tools: tools, path: job.path, fixed: fix.delta.allFixed,
            remaining: Dictionary(grouping: left, by: \.code).mapValues(\.count),
            runID: job.context.plan.runID, key: job.key)
        let writer = job.context.writer
        let patch = fix.patch
        let recorder = job.recorder
        // The intent is durable before the working tree is touched, so resume can undo a landing
        // that was killed half-way.
        let branchOnly = !writer.target.writesCheckout
        // Version 2 records a ref-only landing: an older stomper refuses it rather than "repair" a
        // working tree the landing never wrote.
        try await recorder?.event(
            "land.started", step: "land", job: job.path,
            [
                "version": .int(branchOnly ? 2 : 1), "key": .string(job.key.value),
                "target": branchOnly ? .string("branch") : .null,
                "changes": .array(
                    patch.changes.map { change in
                        .object([
                            "path": .string(change.path), "old_blob": .string(change.old?.id.hex),
                            "old_mode": change.old.map { .int(Int($0.mode.rawValue)) } ?? .null,
                            "new_blob": .string(change.new?.id.hex),
                        ])
                    }),
            ])
        Failpoint.hit("land.before")
        do {
            // The job's own file is already claimed; other paths the patch may touch are taken now.
            let others = patch.paths.filter { $0 != job.path }.map(ResourceDescriptor.file)
            let commit = try await resourceGuard.withResources(others, mode: configuration.operationMode) { extra in
                try await job.clock.measure("land") {
                    // Fencing at the write: refused (StaleVersion) if a newer holder was granted a path.
                    try await writer.land(
                        patch, message: message, author: nil,
                        fence: {
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
            var landed = outcome
            landed.totalSeconds = elapsed.seconds
            try await recordLanding(landed, job, fix, commit)
        } catch let error as CoordinationError where error.code == .staleVersion {
            outcome.status = .failed
            outcome.reason = "verified fix refused: \(error)"
            outcome.leftTo = error.holder?.description ?? "a newer lease holder"
            outcome.fixed = [:]
            try? await recorder?.event(
                "land.finished", step: "land", job: job.path, level: .warning,
                ["result": .string("stale"), "error": .string("\(error)")])
        } catch let error as GitError where error.code == .detachedHead {
            // The user switched the main working tree to another branch: nothing more may land
            // on it now. This fix (verified and cached) and every file not started are left for
            // `stomper resume` once HEAD is back on the branch.
            // Landing only on the ref, the same code means someone checked the branch out meanwhile.
            let reason =
                job.context.plan.landing == .branchOnly
                ? "\(job.context.plan.branch) was checked out while stomper was landing on it; landings stopped: "
                    + "switch that checkout to another branch and run `stomper resume`"
                : "HEAD of the main working tree left \(job.context.plan.branch); landings stopped: "
                    + "`git switch \(job.context.plan.branch)` and run `stomper resume`"
            await job.context.governor.halt(reason)
            outcome.status = .skipped
            outcome.deferred = true
            outcome.reason = reason
            outcome.fixed = [:]
            try? await recorder?.event(
                "land.finished", step: "land", job: job.path, level: .warning,
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

    /// Records the landing (`JobTransition.landed`): the `landed` state, its receipt and its
    /// `land.finished` event in one transaction.
    private func recordLanding(_ outcome: FileOutcome, _ job: JobRun, _ fix: VerifiedFix, _ commit: ObjectID) async throws {
        guard let recorder = job.recorder else { return }
        let receipt = ReceiptRecord(
            runID: recorder.runID, path: job.path, key: job.key.value, commit: commit.hex,
            patchSHA256: sha256Hex(fix.diff), diagnosticsFixed: CanonicalJSON.counts(outcome.fixed).text,
            agentCalls: outcome.agentCalls, agentSeconds: outcome.agentSeconds, totalSeconds: outcome.totalSeconds,
            cacheHit: fix.fromCache)
        try await job.transition(.landed(.init(commit: commit.hex, key: job.key.value, outcome: outcome, receipt: receipt)))
    }
}
