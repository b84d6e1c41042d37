public import Foundation
public import StomperGit
public import StomperQuality

/// One file to fix: its diagnostics at planning and the content they were found in.
public struct FileJob: Sendable, Hashable, Codable {
    public var path: String
    /// The blob of the file at the run's base commit.
    public var baseBlob: ObjectID
    public var diagnostics: [Diagnostic]
    public var key: IdempotencyKey
    /// Every diagnostic the file had at planning, including codes the selection left out
    /// (`--error-type`, `--ignore`): verification counts only what goes beyond it as introduced.
    /// Nil means `diagnostics` (a resumed job).
    public var baseline: [Diagnostic]? = nil
    /// Selected diagnostics of the file that no agent of the run can fix (not targets): reported
    /// as needing an agent. Empty for a resumed job.
    public var needsAgent: [Diagnostic] = []
}

/// Everything a run will do, decided before any agent runs.
public struct FixPlan: Sendable {
    /// `run-YYYYMMDD-HHMMSS-<8 hex>`.
    public var runID: String
    public var branch: String
    /// The branch tip when planning; every worktree starts from it.
    public var base: ObjectID
    public var jobs: [FileJob]
    /// Files with diagnostics that will not be attempted, with the reason.
    public var skipped: [FileOutcome]
    public var toolVersions: [String: String]
    /// Files with diagnostics the selection left out (`--max-files`, `--max-errors`), with the reason.
    public var excluded: [String: String]
    /// Where verified fixes land.
    public var landing: Landing
    /// The shard of a CI matrix this plan was cut down to (`shard(_:)`); nil for a whole plan.
    public var shardSpec: ShardSpec? = nil
    /// Every file of the whole plan (job, skipped or excluded) that another shard handles, with
    /// its 1-based shard: what a summary reports as other shards' files. Empty for a whole plan.
    public var otherShards: [String: Int] = [:]

    /// Where a plan's fixes land.
    public enum Landing: Sendable, Hashable {
        /// On `branch`, checked out in the working tree (files and index written too).
        case checkout
        /// Only on the ref of `branch` (`fix --branch`); working tree, index and HEAD untouched.
        case branchOnly
        /// Nowhere: HEAD is detached and no branch was named, so only a dry run or a check may
        /// use the plan; `branch` then describes HEAD (`HEAD (detached at abc123def456)`).
        case none

        /// As the ledger's events and the JSON report name it.
        public var name: String {
            switch self {
            case .checkout: return "checkout"
            case .branchOnly: return "branch"
            case .none: return "none"
            }
        }
    }

    public init(
        runID: String, branch: String, base: ObjectID, jobs: [FileJob], skipped: [FileOutcome],
        toolVersions: [String: String], excluded: [String: String] = [:], landing: Landing = .checkout
    ) {
        self.landing = landing
        self.runID = runID
        self.branch = branch
        self.base = base
        self.jobs = jobs
        self.skipped = skipped
        self.toolVersions = toolVersions
        self.excluded = excluded
    }

    /// What the branch writer lands on; nil when nothing may land (`.none`).
    public var landingTarget: LandingTarget? {
        switch landing {
        case .checkout: return .checkout(branch: branch)
        case .branchOnly: return .branchOnly(branch: branch, startPoint: base)
        case .none: return nil
        }
    }

    /// The id of a new run, from the current time (UTC) and 32 random bits.
    public static func newRunID(now: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "run-\(formatter.string(from: now))-\(String(repeating: "0", count: 8 - random.count) + random)"
    }
}
