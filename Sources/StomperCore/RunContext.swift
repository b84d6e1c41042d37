import StomperAgents
import StomperGit
import StomperLedger

/// What every job of one run shares: the plan, the worktree pool, the ledger, the branch writer
/// and the governor of agent work. Built once by `Pipeline.run`; each job carries it in its `JobRun`.
struct RunContext: Sendable {
    var plan: FixPlan
    var dryRun: Bool
    var pool: WorktreePool
    /// Nil when the run has no ledger.
    var recorder: RunRecorder?
    var useCache: Bool
    var writer: BranchWriter
    /// Nil when every agent is contained (the sandbox keeps them out of the common git dir).
    var gitDirectory: GitDirectoryGuard?
    var scratch: String
    var governor: AgentGovernor
    var backoff: Backoff
    var learning: LearningReport?
    /// What each job's sparse worktree holds; nil: full worktrees (`fix.worktree`).
    var sparse: SparseSelection?
}
