import Foundation
import StomperAgents
import StomperGit
import StomperLedger
import StomperQuality

extension Pipeline {
    /// What verifying the worktree's current state found.
    enum Verification: Sendable {
        /// Every target fixed, nothing introduced, gate and tests passed.
        case verified(VerifiedFix)
        /// Some targets fixed, nothing introduced, gate and tests passed; the rest is left.
        case improved(VerifiedFix)
        /// Not good enough yet; another attempt may do better. `after`: the file's bytes as the
        /// attempt left them, when it changed the file (narrowing compares them with the start).
        case retry(
            AttemptFeedback, delta: DiagnosticDelta?, changed: Bool, reason: String, refusal: FileOutcome.Refusal,
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

    /// Checks what is in the worktree now: nothing written under `.git`, no commit, only allowed
    /// paths changed, no suppression or configuration edit (the gate), the file's diagnostics gone
    /// when re-linted with every enabled linter, and the tests passing.
    func verify(
        _ job: JobRun, _ worktree: Worktree, dotGit: WorktreeLink,
        agentRun: (Date, Date)?, fromCache: Bool, original: String, kept: Kept? = nil
    ) async throws -> Verification {
        let recorder = job.recorder
        var touched = try dotGit.restoreIfChanged()
        if let (start, end) = agentRun {
            touched = (try job.context.gitDirectory?.check(duringAgentRun: start, end) ?? []) + touched
        }
        if !touched.isEmpty { return .rejected(reason: Self.gitWriteReason(touched), final: true, refusal: .scope) }
        let clock = job.clock
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
            return .retry(
                AttemptFeedback(remaining: remaining, notes: ["the previous attempt changed nothing"]),
                delta: kept?.fix.delta, changed: kept != nil,
                reason: "agent made no change; \(remain(remaining.count))", refusal: .notFixed, after: nil)
        }
        if let flip = try await lineEndingFlip(patch, of: job.path) {
            return .rejected(reason: "the fix changed the line endings of \(job.path) (\(flip)); nothing landed", final: false, refusal: .scope)
        }
        if let gate {
            let after = patch.changes.first { $0.path == job.path }?.new.map { String(decoding: $0.bytes, as: UTF8.self) } ?? original
            var found = gate.check(
                path: job.path, before: original, after: after,
                otherChangedPaths: patch.paths.filter { $0 != job.path })
            // Other paths the scope allowed (`fix.allowed_paths`) are held to the same rules: no
            // suppression added there, no test file emptied, deleted or skipped.
            let repository = self.repository
            for change in patch.changes where change.path != job.path {
                let before = try await BlockingIO.run { try change.old.map { try repository.blob($0.id) } ?? [] }
                found += gate.check(
                    path: change.path, before: String(decoding: before, as: UTF8.self),
                    after: String(decoding: change.new?.bytes ?? [], as: UTF8.self)
                )
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
            return .rejected(
                reason: "the files changed after the agent ended (a process it started kept writing); nothing landed",
                final: false, refusal: .scope)
        }
        let delta = DiagnosticDelta(targets: job.diagnostics, baseline: job.baseline ?? job.diagnostics, after: after)
        try await recorder?.event(
            "verify.finished", step: "verify", job: job.path,
            [
                "fixed": .counts(delta.fixed), "remaining": .int(delta.remaining.count), "introduced": .int(delta.introduced.count),
                "from_cache": .bool(fromCache),
            ])
        guard delta.isComplete || delta.isImprovement else {
            return .retry(
                AttemptFeedback(remaining: delta.remaining, introduced: delta.introduced), delta: delta, changed: true,
                reason: Self.verificationFailure(delta), refusal: delta.introduced.isEmpty ? .notFixed : .introduced,
                after: newBytes)
        }
        if let tests, tests.scope != .final {
            let result = await clock.measure("verify") { await tests.run(path: job.path, in: worktree.path) }
            // Whatever the tests wrote (caches, reports) is not part of the fix.
            try await BlockingIO.run {
                try worktree.discardChanges()
                try worktree.apply(patch)
            }
            try await recorder?.event(
                "tests.finished", step: "verify", job: job.path, level: result.passed ? .info : .warning,
                [
                    "passed": .bool(result.passed), "ms": .milliseconds(result.seconds),
                ])
            if !result.passed {
                return .retry(
                    AttemptFeedback(
                        remaining: delta.remaining, introduced: delta.introduced,
                        notes: ["the tests failed after the change"], testOutput: result.output),
                    delta: delta, changed: true, reason: "the tests failed after the fix: \(result.summary)",
                    refusal: .testsFailed, after: newBytes)
            }
        }
        let diff = try await clock.measure("diff") { try await BlockingIO.run { try worktree.unifiedDiff(patch) } }
        let fix = VerifiedFix(patch: patch, delta: delta, diff: diff, fromCache: fromCache)
        return delta.isComplete ? .verified(fix) : .improved(fix)
    }

    /// The patch with the base's mode on every file the base had: an agent changes content, not
    /// modes (`chmod +x` on a module does not land). A change that was only a mode is no change.
    static func keepingModes(_ patch: Patch) -> Patch {
        Patch(
            base: patch.base,
            changes: patch.changes.compactMap { change in
                guard let old = change.old, var new = change.new, new.mode != old.mode,
                    [FileMode.regular, .executable].contains(old.mode), [FileMode.regular, .executable].contains(new.mode)
                else { return change }
                if new.id == old.id { return nil }
                new.mode = old.mode
                return PathChange(path: change.path, old: old, new: new)
            })
    }

    /// `LF → CRLF` or `CRLF → LF` when the fix turned the target's line endings over, as stored
    /// (after the repository's own end-of-line conversion); nil otherwise.
    func lineEndingFlip(_ patch: Patch, of path: String) async throws -> String? {
        guard let change = patch.changes.first(where: { $0.path == path }), let old = change.old, let new = change.new else { return nil }
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
