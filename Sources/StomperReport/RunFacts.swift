public import StomperCore
import StomperGit

/// What the reports of a finished `stomper fix`/`resume` are made from: the plan, the summary and
/// how the run went. A value, so every formatter is a pure function of it.
public struct RunFacts: Sendable {
    public var plan: FixPlan
    public var summary: RunSummary
    public var dryRun: Bool
    public var elapsedSeconds: Double
    /// The agent or chain, as `stomper fix` prints it (`autofix`, `autofix→claude`).
    public var agent: String
    public var interrupted: Bool

    public init(plan: FixPlan, summary: RunSummary, dryRun: Bool, elapsedSeconds: Double, agent: String, interrupted: Bool = false) {
        self.plan = plan
        self.summary = summary
        self.dryRun = dryRun
        self.elapsedSeconds = elapsedSeconds
        self.agent = agent
        self.interrupted = interrupted
    }

    /// What is left on the branch after the run.
    public var left: [LeftDiagnostic] { LeftDiagnostic.afterRun(plan: plan, summary: summary) }

    /// Commits the run landed, in path order.
    public var commits: [(path: String, sha: String)] {
        summary.outcomes.values.compactMap { outcome in outcome.commit.map { (outcome.path, $0.hex) } }.sorted { $0.path < $1.path }
    }

    /// Files whose fix landed (or would land, in a dry run).
    public var filesFixed: Int {
        dryRun ? summary.count(.wouldFix) : summary.count(.fixed) + summary.count(.partiallyFixed)
    }
}
