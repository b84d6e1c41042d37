public import StomperCore
public import StomperQuality

/// A diagnostic still in the repository after a run (or found by `stomper check`), with what the
/// run did about its file: the unit every report of this module lists.
public struct LeftDiagnostic: Sendable, Hashable {
    /// Why the diagnostic is still there.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// stomper tried the file and failed (verification refused every attempt, or the landing failed).
        case failed
        /// None of the run's fixers can fix it: an AI agent is needed.
        case needsAgent = "needs_agent"
        /// A fix landed and this one is left (partially fixed file).
        case remaining
        /// A verified fix exists but was not committed (dry run): `fix` holds it.
        case wouldFix = "would_fix"
        /// The file was not attempted (uncommitted changes, budget, interrupted), or `stomper check`.
        case notAttempted = "not_attempted"
    }

    public var diagnostic: Diagnostic
    public var reason: Reason
    /// The unified diff of the verified fix of its file that was not landed, when there is one and
    /// it fixes this diagnostic's code.
    public var fixDiff: String?

    public init(_ diagnostic: Diagnostic, reason: Reason, fixDiff: String? = nil) {
        self.diagnostic = diagnostic
        self.reason = reason
        self.fixDiff = fixDiff
    }
}

extension LeftDiagnostic {
    /// What kind of problem a diagnostic is, most serious first: a file that does not parse, a
    /// type error, a lint finding, formatting.
    public enum Kind: Int, Sendable, Hashable, Comparable {
        case syntax, type, lint, format

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Codes that mean the file could not be read or parsed (ruff ≥ 0.13, older ruff, E902).
    static let syntaxCodes: Set<String> = ["invalid-syntax", "syntax-error", "E999", "E902"]
    /// Tools whose findings are type errors.
    static let typeCheckers: Set<String> = ["mypy", "pyright", "basedpyright", "pyre", "pytype"]
    /// Tools whose findings are formatting.
    static let formatters: Set<String> = ["ruff-format"]

    public var kind: Kind {
        if Self.syntaxCodes.contains(diagnostic.code) { return .syntax }
        if Self.typeCheckers.contains(diagnostic.tool) { return .type }
        if Self.formatters.contains(diagnostic.tool) { return .format }
        return .lint
    }

    /// The order of importance the annotations (which are capped) follow: diagnostics in files
    /// the run failed on first (a fix was tried and refused: someone must look), then by kind
    /// (syntax, type, lint, format), then by severity, then by path, line, column and code.
    /// A total order: two different diagnostics never tie, so the capped list is deterministic.
    public static func byImportance(_ lhs: LeftDiagnostic, _ rhs: LeftDiagnostic) -> Bool {
        let left = (lhs.reason == .failed ? 0 : 1, lhs.kind.rawValue, lhs.diagnostic.severity)
        let right = (rhs.reason == .failed ? 0 : 1, rhs.kind.rawValue, rhs.diagnostic.severity)
        if left.0 != right.0 { return left.0 < right.0 }
        if left.1 != right.1 { return left.1 < right.1 }
        if left.2 != right.2 { return left.2 < right.2 }
        if lhs.diagnostic != rhs.diagnostic { return lhs.diagnostic < rhs.diagnostic }
        return (lhs.reason.rawValue, lhs.fixDiff ?? "") < (rhs.reason.rawValue, rhs.fixDiff ?? "")
    }

    /// Every diagnostic a plan found, as `stomper check` reports it: nothing attempted yet.
    /// Files skipped (untracked, uncommitted changes, not a regular file) carry their diagnostics
    /// as `remaining`.
    public static func planned(_ plan: FixPlan) -> [LeftDiagnostic] {
        var left: [LeftDiagnostic] = []
        for job in plan.jobs {
            left += job.diagnostics.map { LeftDiagnostic($0, reason: .notAttempted) }
            left += job.needsAgent.map { LeftDiagnostic($0, reason: .needsAgent) }
        }
        for outcome in plan.skipped {
            left += outcome.remaining.map { LeftDiagnostic($0, reason: .notAttempted) }
            left += outcome.needsAgent.map { LeftDiagnostic($0, reason: .needsAgent) }
        }
        return left.sorted { $0.diagnostic < $1.diagnostic }
    }

    /// What is left in the files as they are on the branch after a run.
    ///
    /// A landed fix (fixed, partially fixed) leaves its re-lint's `remaining` and `needsAgent`, at
    /// the fixed file's positions. Where nothing landed the file is as planned, so the plan's
    /// diagnostics of the job are what is left (an outcome that failed with an error carries no
    /// list of its own); a dry run's verified fix rides along on the diagnostics whose code it
    /// fixes. Files left to another writer are that writer's to report and are left out.
    public static func afterRun(plan: FixPlan, summary: RunSummary) -> [LeftDiagnostic] {
        let jobs = Dictionary(plan.jobs.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var left: [LeftDiagnostic] = []
        for outcome in summary.outcomes.values where outcome.leftTo == nil {
            let job = jobs[outcome.path]
            let targets = job?.diagnostics ?? outcome.remaining
            let needing = job?.needsAgent ?? outcome.needsAgent
            switch outcome.status {
            case .fixed, .partiallyFixed:
                left += outcome.remaining.map { LeftDiagnostic($0, reason: .remaining) }
                left += outcome.needsAgent.map { LeftDiagnostic($0, reason: .needsAgent) }
            case .wouldFix:
                // The fix also removes what it fixed as a side effect (UP035 with its import),
                // which may be a diagnostic no fixer targets.
                let fixedCodes = Set(outcome.fixed.filter { $0.value > 0 }.keys)
                func fixing(_ diagnostic: Diagnostic, otherwise reason: Reason) -> LeftDiagnostic {
                    let fixes = outcome.diff != nil && fixedCodes.contains(diagnostic.code)
                    return LeftDiagnostic(diagnostic, reason: fixes ? .wouldFix : reason, fixDiff: fixes ? outcome.diff : nil)
                }
                left += targets.map { fixing($0, otherwise: .notAttempted) }
                left += needing.map { fixing($0, otherwise: .needsAgent) }
            case .failed:
                left += targets.map { LeftDiagnostic($0, reason: .failed) }
                left += needing.map { LeftDiagnostic($0, reason: .needsAgent) }
            case .needsAgent:
                left += (outcome.needsAgent.isEmpty ? needing : outcome.needsAgent).map { LeftDiagnostic($0, reason: .needsAgent) }
            case .skipped:
                left += targets.map { LeftDiagnostic($0, reason: .notAttempted) }
                left += (outcome.needsAgent.isEmpty ? needing : outcome.needsAgent).map { LeftDiagnostic($0, reason: .needsAgent) }
            }
        }
        return left.sorted { $0.diagnostic < $1.diagnostic }
    }

    /// Words for the reason, for messages.
    public var reasonText: String {
        switch reason {
        case .failed: return "stomper could not fix this file"
        case .needsAgent: return "needs an AI agent"
        case .remaining: return "left after stomper's fix"
        case .wouldFix: return "stomper has a verified fix (dry run)"
        case .notAttempted: return "not attempted"
        }
    }
}
