import StomperGit

/// The totals of a run, folded from `FileOutcome`s.
///
/// The fold is order-independent: outcomes are kept by path and everything else is a sum, so
/// jobs finishing in any order give the same summary (parallel runs stay reproducible).
public struct RunSummary: Sendable, Hashable, Codable {
    /// Every outcome, by path. A later outcome for the same path replaces the earlier one only if
    /// it sorts after it (see `add`), so even duplicates fold deterministically.
    public private(set) var outcomes: [String: FileOutcome] = [:]

    public init() {}

    public init(_ outcomes: some Sequence<FileOutcome>) {
        for outcome in outcomes { add(outcome) }
    }

    /// Paths reported more than once with different outcomes, and which outcome was kept (MERGE_META:
    /// the merge never blocks and never fails; it picks deterministically and records the conflict).
    /// The same set whatever the order of the outcomes.
    public private(set) var conflicts: Set<String> = []

    public mutating func add(_ outcome: FileOutcome) {
        guard let existing = outcomes[outcome.path] else {
            outcomes[outcome.path] = outcome
            return
        }
        guard existing != outcome else { return }
        let (kept, dropped) = Self.precedence(existing) >= Self.precedence(outcome) ? (existing, outcome) : (outcome, existing)
        conflicts.insert("\(outcome.path): kept \(kept.status.rawValue) over \(dropped.status.rawValue)")
        outcomes[outcome.path] = kept
    }

    /// Combines two partial summaries (for example from two workers).
    public func merging(_ other: RunSummary) -> RunSummary {
        var result = self
        for outcome in other.outcomes.values { result.add(outcome) }
        result.conflicts.formUnion(other.conflicts)
        return result
    }

    /// A total order on outcomes of one path, used only to pick deterministically between duplicates.
    private static func precedence(_ outcome: FileOutcome) -> String {
        "\(outcome.commit?.hex ?? "")|\(outcome.status.rawValue)|\(outcome.reason ?? "")|\(outcome.attempts)"
    }

    public func files(_ status: FileOutcome.Status) -> [FileOutcome] {
        outcomes.values.filter { $0.status == status }.sorted { $0.path < $1.path }
    }

    public func count(_ status: FileOutcome.Status) -> Int { outcomes.values.filter { $0.status == status }.count }

    public var total: Int { outcomes.count }

    /// Files skipped for a reason of their own: not counting `deferred` ones, which were never
    /// started (the run was interrupted or its agent work stopped) and are left for resume.
    public var skippedNotDeferred: Int { outcomes.values.filter { $0.status == .skipped && !$0.deferred }.count }

    /// Diagnostics fixed per code, over files whose fix landed (or would land, in a dry run).
    public var fixedByCode: [String: Int] {
        var result: [String: Int] = [:]
        for outcome in outcomes.values where [.fixed, .partiallyFixed, .wouldFix].contains(outcome.status) {
            result.merge(outcome.fixed, uniquingKeysWith: +)
        }
        return result
    }

    public var diagnosticsFixed: Int { fixedByCode.values.reduce(0, +) }

    /// Diagnostics left in the files as they now are on the branch (targets not fixed, and what
    /// needs an agent).
    public var diagnosticsRemaining: Int {
        outcomes.values.reduce(0) { sum, outcome in
            switch outcome.status {
            case .fixed, .wouldFix, .partiallyFixed: return sum + outcome.remaining.count + outcome.needsAgent.count
            case .failed, .skipped, .needsAgent: return sum + outcome.diagnosticsBefore
            }
        }
    }

    /// Diagnostics none of the run's fixers can fix, in files that were not skipped: what an AI
    /// agent is needed for.
    public var diagnosticsNeedingAgent: Int {
        outcomes.values.reduce(0) { $0 + ($1.status == .skipped ? 0 : $1.needsAgent.count) }
    }

    /// Files with diagnostics needing an agent (whether or not the rest of the file was fixed).
    public var filesNeedingAgent: Int {
        outcomes.values.filter { $0.status != .skipped && !$0.needsAgent.isEmpty }.count
    }

    /// Failed files by the kind of refusal, most frequent first (ties by name); failures that were
    /// not refusals (a landing error) are under nil.
    public var refusals: [(kind: FileOutcome.Refusal?, count: Int)] {
        let groups = Dictionary(grouping: outcomes.values.filter { $0.status == .failed }, by: \.refusal).mapValues(\.count)
        return groups.map { (kind: $0.key, count: $0.value) }
            .sorted { ($1.count, $0.kind?.rawValue ?? "~") < ($0.count, $1.kind?.rawValue ?? "~") }
    }

    public var agentCalls: Int { outcomes.values.reduce(0) { $0 + $1.agentCalls } }
    public var agentSeconds: Double { outcomes.values.map(\.agentSeconds).sorted().reduce(0, +) }
    public var jobSeconds: Double { outcomes.values.map(\.totalSeconds).sorted().reduce(0, +) }

    /// True when no file has diagnostics left (or nothing needed fixing), counting files left to
    /// another writer that held or changed them (that writer reports them).
    public var allFixed: Bool {
        outcomes.values.allSatisfy {
            (($0.status == .fixed || $0.status == .wouldFix) && $0.needsAgent.isEmpty) || ($0.status == .skipped && $0.leftTo != nil)
        }
    }

    /// Files where an agent produced a diff that did not pass verification: "a diff exists" is not
    /// "the errors are fixed".
    public var changedNotFixed: [FileOutcome] {
        outcomes.values.filter { $0.status == .failed && $0.changed }.sorted { $0.path < $1.path }
    }

    /// Files left planned because the run's agent work stopped (circuit breaker, budgets).
    public var deferred: [FileOutcome] {
        outcomes.values.filter(\.deferred).sorted { $0.path < $1.path }
    }

    /// Files this run left to another writer (another stomper process, or a commit made meanwhile).
    public var leftToOthers: [FileOutcome] {
        outcomes.values.filter { $0.leftTo != nil }.sorted { $0.path < $1.path }
    }
}

extension RunSummary {
    private enum CodingKeys: String, CodingKey {
        case files, fixed, partiallyFixed = "partially_fixed", wouldFix = "would_fix", failed, skipped
        case diagnosticsFixed = "diagnostics_fixed", diagnosticsRemaining = "diagnostics_remaining"
        case fixedByCode = "fixed_by_code", agentCalls = "agent_calls", agentSeconds = "agent_seconds"
        case jobSeconds = "job_seconds", leftToOthers = "left_to_others"
        case changedNotFixed = "changed_not_fixed", deferred, notStarted = "not_started"
        case needsAgent = "needs_agent", diagnosticsNeedingAgent = "diagnostics_needing_agent", refused = "refused"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(outcomes.values.sorted { $0.path < $1.path }, forKey: .files)
        try container.encode(count(.fixed), forKey: .fixed)
        try container.encode(count(.partiallyFixed), forKey: .partiallyFixed)
        try container.encode(count(.wouldFix), forKey: .wouldFix)
        try container.encode(count(.failed), forKey: .failed)
        try container.encode(skippedNotDeferred, forKey: .skipped)
        try container.encode(deferred.count, forKey: .notStarted)
        try container.encode(count(.needsAgent), forKey: .needsAgent)
        try container.encode(diagnosticsNeedingAgent, forKey: .diagnosticsNeedingAgent)
        var refused: [String: Int] = [:]
        for (kind, count) in refusals { refused[kind?.rawValue ?? "error", default: 0] += count }
        try container.encode(refused, forKey: .refused)
        try container.encode(diagnosticsFixed, forKey: .diagnosticsFixed)
        try container.encode(diagnosticsRemaining, forKey: .diagnosticsRemaining)
        try container.encode(fixedByCode, forKey: .fixedByCode)
        try container.encode(agentCalls, forKey: .agentCalls)
        try container.encode(agentSeconds, forKey: .agentSeconds)
        try container.encode(jobSeconds, forKey: .jobSeconds)
        try container.encode(leftToOthers.map(\.path), forKey: .leftToOthers)
        try container.encode(changedNotFixed.map(\.path), forKey: .changedNotFixed)
        try container.encode(deferred.map(\.path), forKey: .deferred)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try container.decode([FileOutcome].self, forKey: .files))
    }
}

extension RunSummary {
    /// The summary with the fixes the final tests reverted counted as refused (`tests_failed`),
    /// not fixed: their diagnostics are back on the branch. (Their ledger jobs stay `landed`, with
    /// a `tests.reverted` event each: the fix commit did land.)
    public func reverting(_ report: FinalTestsReport) -> RunSummary {
        let reverted = Dictionary(
            report.culprits.compactMap { culprit in culprit.revert.map { (culprit.path, $0) } }, uniquingKeysWith: { first, _ in first })
        guard !reverted.isEmpty else { return self }
        var result = RunSummary(
            outcomes.values.map { outcome in
                guard let revert = reverted[outcome.path], outcome.status == .fixed || outcome.status == .partiallyFixed else { return outcome }
                var changed = outcome
                changed.status = .failed
                changed.refusal = .testsFailed
                changed.reason = "its fix broke the final tests and was reverted (\(revert.prefix(12)))"
                changed.fixed = [:]
                return changed
            })
        result.conflicts = conflicts
        return result
    }
}
