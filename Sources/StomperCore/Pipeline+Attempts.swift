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
    func fixInWorktree(_ job: FileJob, _ worktree: Worktree, _ context: JobContext) async throws -> WorktreeResult {
        var tally = Tally()
        let dotGit = WorktreeLink(worktree: worktree.path)
        let recorder = context.recorder
        try await recorder?.transition(job.path, to: .running(attempt: 1))
        let original = FileManager.default.contents(atPath: worktree.path + "/" + job.path).map { String(decoding: $0, as: UTF8.self) } ?? ""

        if context.useCache, let recorder, let cached = try await recorder.cachedFix(key: job.key),
           let patch = try? JSONDecoder().decode(Patch.self, from: Data(cached.patch.utf8)) {
            try await BlockingIO.run { try worktree.apply(patch) }
            switch try await verify(job, worktree, context, dotGit: dotGit, agentRun: nil, fromCache: true, original: original) {
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
                try await recorder.event("cache.rejected", step: "verify", job: job.path, level: .warning,
                                         ["reason": .string("the cached fix no longer verifies")])
                try await BlockingIO.run { try worktree.discardChanges() }
            }
        } else if let recorder {
            try await recorder.event("cache.miss", step: "agent", job: job.path, ["key": .string(job.key.value)])
        }

        var state = ChainState()
        let chain = orderedChain(for: job, context)
        let examples = try await examples(for: job, context)
        chainLoop: for (index, agent) in chain.enumerated() {
            if index > 0 { try await restore(worktree, to: state.kept) }
            // Each agent targets what it can of what is left; an agent that can fix none of it
            // does not run.
            guard !(state.kept?.remaining ?? job.diagnostics).filter(agent.canFix).isEmpty else { continue }
            let attempt = AttemptRunner(pipeline: self, job: job, worktree: worktree, context: context, dotGit: dotGit,
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
                try await recorder?.transition(job.path, to: .verified)
                try await store(kept.fix, job, context)
                return .verified(kept.fix, tally)
            }
            state.lastReason += "; an improvement was verified but not committed (fix.land_partial is off)"
        }
        if let stopped = state.stopped { state.lastReason += "; stopped: \(stopped)" }
        if state.infrastructureOnly && state.kept == nil && !state.changed {
            // Nothing was learnt about the file: its agents could not be reached. Left for resume.
            return .deferred(reason: "no agent could be reached (\(state.lastReason)); left for `stomper resume`", tally)
        }
        return .notFixed(.failed, reason: state.lastReason, delta: state.lastDelta, changed: state.changed,
                         refusal: state.lastRefusal, dropped: state.narrowing.dropped, tally)
    }

    /// The chain in the order to try it for this job: the configured order, reordered per the
    /// file's codes by measured success when learning has evidence.
    func orderedChain(for job: FileJob, _ context: JobContext) -> [any Agent] {
        guard agents.count > 1, let learning = context.learning else { return agents }
        let names = agents.map(\.identity.description)
        let order = learning.order(names, for: Set(job.diagnostics.map(\.code)))
        return order.compactMap { name in agents.first { $0.identity.description == name } }
    }

    /// Past verified fixes of the job's difficult codes, from this repository's ledger.
    func examples(for job: FileJob, _ context: JobContext) async throws -> [FixExample] {
        guard configuration.learningExamples > 0, let learning = context.learning, let ledger = context.recorder?.ledger else { return [] }
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
    func store(_ fix: VerifiedFix, _ job: FileJob, _ context: JobContext) async throws {
        guard let recorder = context.recorder else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(fix.patch), as: UTF8.self)
        try await recorder.storeFix(key: job.key, path: job.path, patch: text, patchSHA256: sha256Hex(fix.diff))
    }

    /// Records what an attempt did, per code, once verification decided it (learning).
    func learn(_ job: FileJob, request: FixRequest, agent: any Agent, result: AgentOutcome, outcome: AttemptOutcome,
               delta: DiagnosticDelta?, diff: String?, attempt: Int, _ context: JobContext) async throws {
        guard configuration.learning, let recorder = context.recorder else { return }
        let targeted = Dictionary(grouping: request.diagnostics) { "\($0.tool)\u{1f}\($0.code)" }
        let codes = targeted.keys.sorted().map { key -> AttemptRecord.CodeResult in
            let parts = key.split(separator: "\u{1f}", maxSplits: 1).map(String.init)
            let count = targeted[key]!.count
            // Fixed: the targets of this code that are no longer reported after the attempt.
            let left = delta?.remaining.filter { $0.tool == parts[0] && $0.code == parts[1] }.count
                ?? (outcome == .fixed ? 0 : count)
            return .init(linter: parts[0], code: parts[1], targeted: count, fixed: max(0, count - left))
        }
        try await recorder.ledger.recordAttempt(AttemptRecord(
            runID: recorder.runID, path: job.path, attempt: attempt, agent: agent.identity.description, outcome: outcome,
            durationMilliseconds: Int((result.duration.seconds * 1000).rounded()), inputTokens: result.usage?.inputTokens,
            outputTokens: result.usage?.outputTokens, costUSD: result.usage?.costUSD, diff: diff, codes: codes))
    }

    /// The patch with the base's mode on every file the base had: an agent changes content, not
    /// modes (`chmod +x` on a module does not land). A change that was only a mode is no change.
    static func keepingModes(_ patch: Patch) -> Patch {
        Patch(base: patch.base, changes: patch.changes.compactMap { change in
            guard let old = change.old, var new = change.new, new.mode != old.mode,
                  [FileMode.regular, .executable].contains(old.mode), [FileMode.regular, .executable].contains(new.mode) else { return change }
            if new.id == old.id { return nil }
            new.mode = old.mode
            return PathChange(path: change.path, old: old, new: new)
        })
    }

    /// `LF → CRLF` or `CRLF → LF` when the fix turned the target's line endings over, as stored
    /// (after the repository's own end-of-line conversion); nil otherwise.
    func lineEndingFlip(_ patch: Patch, _ job: FileJob) async throws -> String? {
        guard let change = patch.changes.first(where: { $0.path == job.path }), let old = change.old, let new = change.new else { return nil }
        let repository = self.repository
        let before = try await BlockingIO.run { try repository.blob(old.id) }
        func style(_ bytes: [UInt8]) -> (crlf: Int, lf: Int) {
            var crlf = 0
            var lf = 0
            for index in bytes.indices where bytes[index] == 10 {
                if index > 0 && bytes[index - 1] == 13 { crlf += 1 } else { lf += 1 }
            }
            return (crlf, lf)
        }
        let (was, now) = (style(before), style(new.bytes))
        if was.crlf == 0 && was.lf > 0 && now.crlf > 0 { return "LF → CRLF" }
        if was.lf == 0 && was.crlf > 0 && now.lf > 0 { return "CRLF → LF" }
        return nil
    }

    /// Checks what is in the worktree now: nothing written under `.git`, no commit, only allowed
    /// paths changed, no suppression or configuration edit (the gate), the file's diagnostics gone
    /// when re-linted with every enabled linter, and the tests passing.
    func verify(_ job: FileJob, _ worktree: Worktree, _ context: JobContext, dotGit: WorktreeLink,
                agentRun: (Date, Date)?, fromCache: Bool, original: String, kept: Kept? = nil) async throws -> Verification {
        let recorder = context.recorder
        var touched = try dotGit.restoreIfChanged()
        if let (start, end) = agentRun {
            touched = (try context.gitDirectory?.check(duringAgentRun: start, end) ?? []) + touched
        }
        if !touched.isEmpty { return .rejected(reason: Self.gitWriteReason(touched), final: true, refusal: .scope) }
        let clock = PhaseClock.current!
        let (head, read) = try await clock.measure("diff") {
            try await BlockingIO.run { (try worktree.headCommit(), try worktree.changes()) }
        }
        let patch = Self.keepingModes(read)
        if head != worktree.base {
            return .rejected(reason: "agent made a commit in its worktree; discarded, nothing committed", final: true, refusal: .scope)
        }
        let violations = PatchScope(target: job.path, extraAllowed: configuration.allowedPaths)
            .violations(of: patch, oldContents: [job.path: Array(original.utf8)])
        if !violations.isEmpty {
            let reason = "patch rejected: " + violations.map(\.description).joined(separator: "; ")
            try await recorder?.event("scope.rejected", step: "verify", job: job.path, level: .warning, ["reason": .string(reason)])
            return .rejected(reason: reason, final: false, refusal: .scope)
        }
        // Nothing beyond the base, or beyond the improvement already kept, is no change at all.
        guard !patch.isEmpty, patch != kept?.fix.patch else {
            let remaining = kept?.remaining ?? job.diagnostics
            return .retry(AttemptFeedback(remaining: remaining, notes: ["the previous attempt changed nothing"]),
                          delta: kept?.fix.delta, changed: kept != nil,
                          reason: "agent made no change; \(remain(remaining.count))", refusal: .notFixed, after: nil)
        }
        if let flip = try await lineEndingFlip(patch, job) {
            return .rejected(reason: "the fix changed the line endings of \(job.path) (\(flip)); nothing landed", final: false, refusal: .scope)
        }
        if let gate {
            let after = patch.changes.first { $0.path == job.path }?.new.map { String(decoding: $0.bytes, as: UTF8.self) } ?? original
            var found = gate.check(path: job.path, before: original, after: after,
                                   otherChangedPaths: patch.paths.filter { $0 != job.path })
            // Other paths the scope allowed (`fix.allowed_paths`) are held to the same rules: no
            // suppression added there, no test file emptied, deleted or skipped.
            let repository = self.repository
            for change in patch.changes where change.path != job.path {
                let before = try await BlockingIO.run { try change.old.map { try repository.blob($0.id) } ?? [] }
                found += gate.check(path: change.path, before: String(decoding: before, as: UTF8.self),
                                    after: String(decoding: change.new?.bytes ?? [], as: UTF8.self))
                    .filter { $0.rule != .lintConfig }
            }
            if !found.isEmpty {
                let reason = "suppression gate: " + found.map(\.description).joined(separator: "; ")
                try await recorder?.event("gate.rejected", step: "verify", job: job.path, level: .warning, ["reason": .string(reason)])
                return .rejected(reason: reason, final: false, refusal: .gate)
            }
        }
        let newBytes = patch.changes.first { $0.path == job.path }?.new?.bytes
        let after = try await clock.measure("verify") {
            try await linter.lint(paths: [job.path], root: worktree.path).filter { $0.path == job.path }
        }
        // Landed bytes are the verified bytes: the patch was read once, before the linters ran; if
        // the worktree no longer holds exactly it (a process the agent left behind kept writing),
        // what was linted may not be what would land.
        let settled = try await clock.measure("diff") { try await BlockingIO.run { try worktree.changes() } }
        if Self.keepingModes(settled) != patch {
            return .rejected(reason: "the files changed after the agent ended (a process it started kept writing); nothing landed",
                             final: false, refusal: .scope)
        }
        let delta = DiagnosticDelta(targets: job.diagnostics, baseline: job.baseline ?? job.diagnostics, after: after)
        try await recorder?.event("verify.finished", step: "verify", job: job.path, [
            "fixed": .counts(delta.fixed), "remaining": .int(delta.remaining.count), "introduced": .int(delta.introduced.count),
            "from_cache": .bool(fromCache),
        ])
        guard delta.isComplete || delta.isImprovement else {
            return .retry(AttemptFeedback(remaining: delta.remaining, introduced: delta.introduced), delta: delta, changed: true,
                          reason: Self.verificationFailure(delta), refusal: delta.introduced.isEmpty ? .notFixed : .introduced,
                          after: newBytes)
        }
        if let tests {
            let result = await clock.measure("verify") { await tests.run(path: job.path, in: worktree.path) }
            // Whatever the tests wrote (caches, reports) is not part of the fix.
            try await BlockingIO.run {
                try worktree.discardChanges()
                try worktree.apply(patch)
            }
            try await recorder?.event("tests.finished", step: "verify", job: job.path, level: result.passed ? .info : .warning, [
                "passed": .bool(result.passed), "ms": .milliseconds(result.seconds),
            ])
            if !result.passed {
                return .retry(AttemptFeedback(remaining: delta.remaining, introduced: delta.introduced,
                                              notes: ["the tests failed after the change"], testOutput: result.output),
                              delta: delta, changed: true, reason: "the tests failed after the fix: \(result.summary)",
                              refusal: .testsFailed, after: newBytes)
            }
        }
        let diff = try await clock.measure("diff") { try await BlockingIO.run { try worktree.unifiedDiff(patch) } }
        let fix = VerifiedFix(patch: patch, delta: delta, diff: diff, fromCache: fromCache)
        return delta.isComplete ? .verified(fix) : .improved(fix)
    }
}
