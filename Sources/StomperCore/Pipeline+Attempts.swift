import Foundation
import StomperAgents
import StomperGit
import StomperLedger
import StomperProcess
import StomperQuality

extension Pipeline {
    /// An accepted improvement the worktree holds: later attempts and agents start from it and
    /// get only what it left.
    struct Kept: Sendable {
        var fix: VerifiedFix
        var remaining: [Diagnostic] { fix.delta.remaining }
    }

    /// The worktree phase of a job: a cached fix if one still verifies, else the agent chain, each
    /// agent with up to `maxAttempts` attempts, each attempt verified. The next agent gets only what
    /// the accepted attempts left.
    func fixInWorktree(_ job: JobRun, _ worktree: Worktree) async throws -> WorktreeResult {
        var tally = Tally()
        let dotGit = WorktreeLink(worktree: worktree.path)
        let recorder = job.recorder
        try await job.transition(.started)
        let original = FileManager.default.contents(atPath: worktree.path + "/" + job.path).map { String(decoding: $0, as: UTF8.self) } ?? ""

        if job.context.useCache, let recorder, let cached = try await recorder.cachedFix(key: job.key),
            let patch = try? JSONDecoder().decode(Patch.self, from: Data(cached.patch.utf8))
        {
            try await BlockingIO.run { try worktree.apply(patch) }
            switch try await verify(job, worktree, dotGit: dotGit, agentRun: nil, fromCache: true, original: original) {
            case .verified(let fix):
                try await recorder.cacheHit(key: job.key)
                try await recorder.event("cache.hit", step: "agent", job: job.path, ["key": .string(job.key.value)])
                return .verified(fix, tally)
            case .improved(let fix) where configuration.landPartial:
                try await recorder.cacheHit(key: job.key)
                try await recorder.event("cache.hit", step: "agent", job: job.path, ["key": .string(job.key.value)])
                return .verified(fix, tally)
            case .improved, .retry, .rejected:
                // A cached fix that no longer verifies (new tool version, changed config) is dropped.
                try await recorder.forgetFix(key: job.key)
                try await recorder.event(
                    "cache.rejected", step: "verify", job: job.path, level: .warning,
                    ["reason": .string("the cached fix no longer verifies")])
                try await BlockingIO.run { try worktree.discardChanges() }
            }
        } else if let recorder {
            try await recorder.event("cache.miss", step: "agent", job: job.path, ["key": .string(job.key.value)])
        }

        var state = ChainState()
        let chain = orderedChain(for: job)
        let examples = try await examples(for: job)
        chainLoop: for (index, agent) in chain.enumerated() {
            if index > 0 { try await restore(worktree, to: state.kept) }
            // Each agent targets what it can of what is left; an agent that can fix none of it
            // does not run.
            guard !(state.kept?.remaining ?? job.diagnostics).filter(agent.canFix).isEmpty else { continue }
            let attempt = AttemptRunner(
                pipeline: self, job: job, worktree: worktree, dotGit: dotGit,
                original: original, agent: agent, examples: examples)
            let finished: AttemptRunner.Finish
            if agent.narrowsByRule {
                finished = try await attempt.narrowing(&state, &tally)
            } else {
                finished = try await attempt.retrying(&state, &tally)
            }
            switch finished {
            case .next: continue chainLoop
            case .done(let result): return result
            case .stop(let reason):
                if tally.attempts == 0 { return .deferred(reason: reason, tally) }
                state.stopped = reason
                break chainLoop
            }
        }
        // The rules narrowing left out, as they stand at the end (not when the kept fix was made).
        state.kept?.fix.droppedRules = state.narrowing.dropped
        if let kept = state.kept {
            if configuration.landPartial {
                try await restore(worktree, to: kept)
                try await job.transition(.verified)
                try await store(kept.fix, job)
                return .verified(kept.fix, tally)
            }
            state.lastReason += "; an improvement was verified but not committed (fix.land_partial is off)"
        }
        if let stopped = state.stopped { state.lastReason += "; stopped: \(stopped)" }
        if state.infrastructureOnly && state.kept == nil && !state.changed {
            // Nothing was learnt about the file: its agents could not be reached. Left for resume.
            return .deferred(reason: "no agent could be reached (\(state.lastReason)); left for `stomper resume`", tally)
        }
        return .notFixed(
            .failed, reason: state.lastReason, delta: state.lastDelta, changed: state.changed,
            refusal: state.lastRefusal, dropped: state.narrowing.dropped, tally)
    }

    /// The chain in the order to try it for this job: the configured order, reordered per the
    /// file's codes by measured success when learning has evidence.
    func orderedChain(for job: JobRun) -> [any Agent] {
        guard agents.count > 1, let learning = job.context.learning else { return agents }
        let names = agents.map(\.identity.description)
        let order = learning.order(names, for: Set(job.diagnostics.map(\.code)))
        return order.compactMap { name in agents.first { $0.identity.description == name } }
    }

    /// Past verified fixes of the job's difficult codes, from this repository's ledger.
    func examples(for job: JobRun) async throws -> [FixExample] {
        guard configuration.learningExamples > 0, let learning = job.context.learning, let ledger = job.recorder?.ledger else { return [] }
        var examples: [FixExample] = []
        for code in Set(job.diagnostics.map(\.code)).sorted() where learning.isDifficult(code: code) {
            for example in try await ledger.fixExamples(code: code, limit: configuration.learningExamples) where example.path != job.path {
                examples.append(FixExample(code: code, path: example.path, diff: example.diff))
            }
        }
        return Array(examples.prefix(configuration.learningExamples * 2))
    }

    /// Puts the worktree back to the base, plus the kept improvement if there is one.
    func restore(_ worktree: Worktree, to kept: Kept?) async throws {
        try await BlockingIO.run {
            try worktree.discardChanges()
            if let kept { try worktree.apply(kept.fix.patch) }
        }
    }

    /// Caches a verified fix under the job's key.
    func store(_ fix: VerifiedFix, _ job: JobRun) async throws {
        guard let recorder = job.recorder else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(fix.patch), as: UTF8.self)
        try await recorder.storeFix(key: job.key, path: job.path, patch: text, patchSHA256: sha256Hex(fix.diff))
    }

    /// Records what an attempt did, per code, once verification decided it (learning).
    func learn(
        _ job: JobRun, request: FixRequest, agent: any Agent, result: AgentOutcome, outcome: AttemptOutcome,
        delta: DiagnosticDelta?, diff: String?, attempt: Int
    ) async throws {
        guard configuration.learning, let recorder = job.recorder else { return }
        let targeted = Dictionary(grouping: request.diagnostics) { "\($0.tool)\u{1f}\($0.code)" }
        let codes = targeted.keys.sorted().map { key -> AttemptRecord.CodeResult in
            let parts = key.split(separator: "\u{1f}", maxSplits: 1).map(String.init)
            let count = targeted[key]!.count
            // Fixed: the targets of this code that are no longer reported after the attempt.
            let left =
                delta?.remaining.filter { $0.tool == parts[0] && $0.code == parts[1] }.count
                ?? (outcome == .fixed ? 0 : count)
            return .init(linter: parts[0], code: parts[1], targeted: count, fixed: max(0, count - left))
        }
        try await recorder.ledger.recordAttempt(
            AttemptRecord(
                runID: recorder.runID, path: job.path, attempt: attempt, agent: agent.identity.description, outcome: outcome,
                durationMilliseconds: Int((result.duration.seconds * 1000).rounded()), inputTokens: result.usage?.inputTokens,
                outputTokens: result.usage?.outputTokens, costUSD: result.usage?.costUSD, diff: diff, codes: codes))
    }

    /// What the worktree phase of a job produced.
    enum WorktreeResult: Sendable {
        case verified(VerifiedFix, Tally)
        case notFixed(
            FileOutcome.Status, reason: String, delta: DiagnosticDelta?, changed: Bool, refusal: FileOutcome.Refusal?,
            dropped: [String: String], Tally)
        /// No attempt could start (circuit breaker, budgets): the job is left planned for resume.
        case deferred(reason: String, Tally)
    }

    /// What a job's attempts added up to, reported in its outcome.
    struct Tally: Sendable {
        var attempts = 0
        var agentCalls = 0
        var agentTime: Duration = .zero
        var usage: AgentUsage?
    }
}
