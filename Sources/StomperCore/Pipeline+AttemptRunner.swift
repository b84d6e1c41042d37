import Foundation
import StomperAgents
import StomperGit
import StomperLedger
import StomperQuality

extension Pipeline {
    /// What one job's chain has found so far, carried from agent to agent.
    struct ChainState: Sendable {
        var kept: Kept?
        var lastDelta: DiagnosticDelta?
        var lastReason = "not fixed"
        var lastRefusal: FileOutcome.Refusal?
        var changed = false
        var stopped: String?
        var infrastructureOnly = true
        var narrowing = RuleNarrowing()
    }

    /// Runs one agent's attempts on one job: either retrying with feedback (AI agents), or
    /// narrowing by rule (deterministic fixers).
    struct AttemptRunner: Sendable {
        let pipeline: Pipeline
        let job: JobRun
        let worktree: Worktree
        let dotGit: WorktreeLink
        let original: String
        let agent: any Agent
        let examples: [FixExample]

        enum Finish: Sendable {
            /// This agent is done; the next one (if any) gets what is left.
            case next
            /// The job is decided.
            case done(WorktreeResult)
            /// The run's agent work stopped (budget, breaker).
            case stop(String)
        }

        /// How one attempt went before its verification was looked at.
        enum Step: Sendable {
            case stop(String)
            case done(WorktreeResult)
            /// The agent did not run to the end (timeout, crash, unreachable).
            case agentFailed(reason: String)
            case verified(Verification, AgentOutcome)
        }

        var configuration: StomperConfiguration { pipeline.configuration }

        /// AI agents: up to `maxAttempts` attempts, each told what the last one left or broke.
        func retrying(_ state: inout ChainState, _ tally: inout Tally) async throws -> Finish {
            var feedback: AttemptFeedback?
            for agentAttempt in 1...max(1, configuration.maxAttempts) {
                if agentAttempt > 1 && configuration.retryFrom == .clean { try await pipeline.restore(worktree, to: state.kept) }
                let targets = (state.kept?.remaining ?? job.diagnostics).filter(agent.canFix)
                switch try await attempt(targets, leavingAlso: [], number: agentAttempt, feedback: feedback, &state, &tally) {
                case .stop(let reason):
                    return .stop(reason)
                case .done(let result):
                    return .done(result)
                case .agentFailed(let reason):
                    feedback = AttemptFeedback(remaining: targets, notes: [reason])
                case .verified(let verification, let outcome):
                    switch try await accept(verification, outcome, &state, tally) {
                    case .some(let finish): return finish
                    case .none:
                        if case .retry(let next, _, _, _, _, _) = verification { feedback = next }
                        if case .improved(let fix) = verification {
                            feedback = AttemptFeedback(
                                remaining: fix.delta.remaining,
                                notes: ["the previous attempt fixed \(plural(fix.delta.fixedCount, "diagnostic")); the rest remain"])
                        }
                        if case .rejected(let reason, let final, _) = verification {
                            if final { return .next }
                            feedback = AttemptFeedback(
                                remaining: state.kept?.remaining ?? job.diagnostics,
                                notes: ["the previous attempt was rejected and thrown away: \(reason)"])
                        }
                    }
                }
            }
            return .next
        }

        /// Deterministic fixers: when a change fails verification, leave out the rules whose fixes
        /// did it and run again, until what is left verifies or nothing is left (`RuleNarrowing`).
        func narrowing(_ state: inout ChainState, _ tally: inout Tally) async throws -> Finish {
            var round = 0
            while true {
                let start = state.kept?.remaining ?? job.diagnostics
                let targets = state.narrowing.remainingTargets(start.filter(agent.canFix))
                guard !targets.isEmpty else { return .next }
                if round > 0 { try await pipeline.restore(worktree, to: state.kept) }
                round += 1
                let before =
                    state.kept.flatMap { kept in kept.fix.patch.changes.first { $0.path == job.path }?.new?.bytes }
                    ?? Array(original.utf8)
                let left = state.narrowing.droppedTargets(start.filter(agent.canFix))
                let step = try await attempt(targets, leavingAlso: left, number: round, feedback: nil, &state, &tally)
                let verification: Verification
                switch step {
                case .stop(let reason): return .stop(reason)
                case .done(let result): return .done(result)
                case .agentFailed: return .next
                case .verified(let found, let outcome):
                    if let finish = try await accept(found, outcome, &state, tally) { return finish }
                    verification = found
                }
                let fixedRules: Set<String>
                let introduced: [Diagnostic]
                let after: [UInt8]
                let reason: String
                switch verification {
                case .improved:
                    // Adding rules back one at a time: the next one, on top of what was kept.
                    if state.narrowing.advanceAfterSuccess() { continue }
                    return .next
                case .retry(_, let delta, let changed, _, let refusal, let bytes):
                    guard changed, let bytes, refusal == .introduced || refusal == .testsFailed else {
                        // Nothing new from this rule (its fix came with the kept ones): the next.
                        if refusal == .notFixed, state.narrowing.advanceAfterSuccess() { continue }
                        return .next
                    }
                    let fixedCodes = Set(delta?.fixed.keys.map { $0 } ?? [])
                    fixedRules = Set(targets.filter { fixedCodes.contains($0.code) }.map(RuleNarrowing.rule))
                    introduced = refusal == .introduced ? delta?.introduced ?? [] : []
                    after = bytes
                    reason =
                        refusal == .introduced
                        ? "introduced " + Set((delta?.introduced ?? []).map(\.code)).sorted().joined(separator: ", ")
                        : "broke the tests"
                case .rejected(let why, let final, _):
                    if final { return .next }
                    (fixedRules, introduced, after, reason) = ([], [], before, "was rejected (\(why))")
                case .verified:
                    return .next
                }
                let next = state.narrowing.next(
                    targets: targets, fixedRules: fixedRules, before: RuleNarrowing.lines(before),
                    after: RuleNarrowing.lines(after), introduced: introduced, reason: reason)
                guard case .retry(let without) = next else { return .next }
                try await job.recorder?.event(
                    "narrow.dropped", step: "verify", job: job.path,
                    [
                        "rules": .strings(without.map { $0.replacingOccurrences(of: "\u{1f}", with: ":") }), "reason": .string(reason),
                    ])
            }
        }

        /// Folds a verification into the chain's state; non-nil when it ends this agent's turn or the job.
        private func accept(
            _ verification: Verification, _ outcome: AgentOutcome, _ state: inout ChainState,
            _ tally: Tally
        ) async throws -> Finish? {
            let exitNote = outcome.exitStatus.map { "; the agent exited with status \($0), its change verified anyway" } ?? ""
            switch verification {
            case .verified(var fix):
                fix.agentExitStatus = outcome.exitStatus
                fix.droppedRules = state.narrowing.dropped
                try await job.transition(.verified)
                try await pipeline.store(fix, job)
                return .done(.verified(fix, tally))
            case .improved(var fix):
                fix.agentExitStatus = outcome.exitStatus
                fix.droppedRules = state.narrowing.dropped
                state.kept = Kept(fix: fix)
                state.lastDelta = fix.delta
                state.changed = true
                state.lastReason = Pipeline.verificationFailure(fix.delta) + exitNote
                return nil
            case .retry(_, let delta, let didChange, let reason, let refusal, _):
                state.lastDelta = delta ?? state.lastDelta
                state.changed = state.changed || didChange
                state.lastReason = outcome.failureReason.map { "\($0); \(reason)" } ?? reason
                state.lastRefusal = refusal
                return nil
            case .rejected(let reason, _, let refusal):
                state.changed = true
                state.lastReason = reason
                state.lastRefusal = refusal
                try await pipeline.restore(worktree, to: state.kept)
                return nil
            }
        }

        /// One attempt: a permit from the governor, the agent's run, and (when it ran to the end,
        /// whatever its exit status) the verification of what it left.
        private func attempt(
            _ targets: [Diagnostic], leavingAlso dropped: [Diagnostic], number: Int, feedback: AttemptFeedback?,
            _ state: inout ChainState, _ tally: inout Tally
        ) async throws -> Step {
            let recorder = job.recorder
            let ticket: AgentGovernor.Ticket
            switch await job.context.governor.permit() {
            case .go(let granted): ticket = granted
            case .stop(let reason): return .stop(reason)
            }
            tally.attempts += 1
            if tally.attempts > 1 { try await job.transition(.retried(attempt: tally.attempts)) }
            var request = FixRequest(
                worktree: worktree.path, path: job.path, diagnostics: targets, attempt: number,
                feedback: feedback, timeout: .seconds(configuration.agentTimeoutSeconds),
                scratchDirectory: job.context.scratch, examples: examples)
            // What the job does not target (codes the selection left out, or that this agent cannot
            // fix, or whose fixes were narrowed away) is left alone: autofix excludes those rules.
            let targeted = Set(targets.map(RuleNarrowing.rule))
            request.leaveAlone = ((job.baseline ?? job.diagnostics) + job.needsAgent + dropped)
                .filter { !targeted.contains(RuleNarrowing.rule($0)) }
            try await recorder?.event(
                "agent.started", step: "agent", job: job.path,
                [
                    "attempt": .int(tally.attempts), "agent": .string(agent.identity.description),
                    "targets": .int(targets.count),
                ])
            let agentStart = Date()
            let result = try await job.clock.measure("agent") { try await agent.fix(request) }
            let agentEnd = Date()
            await job.context.governor.record(ticket, infrastructureFailure: result.isInfrastructureFailure, reason: result.failureReason ?? "")
            tally.agentCalls += result.calls
            tally.agentTime += result.duration
            if let usage = result.usage { tally.usage = (tally.usage ?? AgentUsage()) + usage }
            if !result.isInfrastructureFailure { state.infrastructureOnly = false }
            try await recorder?.event(
                "agent.finished", step: "agent", job: job.path,
                level: result.failureReason == nil ? .info : .warning,
                [
                    "attempt": .int(tally.attempts), "agent": .string(agent.identity.description), "calls": .int(result.calls),
                    "ms": .milliseconds(result.duration.seconds), "result": .string(result.failureReason ?? "completed"),
                    "exit_status": result.exitStatus.map { .int(Int($0)) } ?? .null,
                    "input_tokens": result.usage?.inputTokens.map { .int($0) } ?? .null,
                    "output_tokens": result.usage?.outputTokens.map { .int($0) } ?? .null,
                ])
            let attemptNumber = tally.attempts
            let learn = { (outcome: AttemptOutcome, delta: DiagnosticDelta?, diff: String?) in
                try await pipeline.learn(
                    job, request: request, agent: agent, result: result, outcome: outcome, delta: delta, diff: diff,
                    attempt: attemptNumber)
            }
            guard result.isVerifiable else {
                let reason = result.failureReason ?? "the agent did not finish"
                // Even a failed agent may have written under .git; check before anything else.
                let touched = (try job.context.gitDirectory?.check(duringAgentRun: agentStart, agentEnd) ?? []) + (try dotGit.restoreIfChanged())
                if !touched.isEmpty {
                    return .done(
                        .notFixed(
                            .failed, reason: Pipeline.gitWriteReason(touched), delta: nil, changed: true,
                            refusal: .scope, dropped: state.narrowing.dropped, tally))
                }
                if !result.isInfrastructureFailure { try await learn(.agentFailed, nil, nil) }
                state.lastReason = reason
                state.lastRefusal = .agentFailed
                if result.isInfrastructureFailure, number < configuration.maxAttempts {
                    var random = SystemRandomNumberGenerator()
                    try? await Task.sleep(for: job.context.backoff.delay(forRetry: number, using: &random))
                }
                return .agentFailed(reason: reason)
            }
            let verification = try await pipeline.verify(
                job, worktree, dotGit: dotGit, agentRun: (agentStart, agentEnd),
                fromCache: false, original: original, kept: state.kept)
            if let status = result.exitStatus, verification.accepted {
                // The exit status did not decide: verification accepted the change (verified or kept).
                try await recorder?.event("agent.exit_ignored", step: "verify", job: job.path, ["status": .int(Int(status))])
            }
            switch verification {
            case .verified(let fix): try await learn(.fixed, fix.delta, fix.diff)
            case .improved(let fix): try await learn(.improved, fix.delta, fix.diff)
            case .retry(_, let delta, _, _, _, _): try await learn(result.failureReason == nil ? .notFixed : .agentFailed, delta, nil)
            case .rejected: try await learn(.rejected, nil, nil)
            }
            return .verified(verification, result)
        }
    }
}
