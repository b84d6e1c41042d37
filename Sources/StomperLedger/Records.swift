public import Foundation

/// How a run ended, or that it has not.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case running, completed, failed, interrupted, aborted

    /// `running` and `interrupted` runs can be resumed.
    public var isUnfinished: Bool { self == .running || self == .interrupted }
}

/// One run of `stomper fix`.
public struct RunRecord: Sendable, Hashable, Codable {
    public var id: String
    public var status: RunStatus
    public var branch: String
    public var baseCommit: String
    public var configHash: String
    /// The run's configuration as JSON, so `resume` continues with the same settings.
    public var configJSON: String
    /// JSON object: tool name → version.
    public var toolVersions: String
    /// JSON object: the agent identity.
    public var agent: String
    public var snapshotID: String
    public var dryRun: Bool
    public var pid: Int32
    public var host: String
    public var createdAt: String
    public var updatedAt: String
    public var finishedAt: String?
    /// Where the run's fixes land: `branch` is the branch the run commits to either way.
    public var landing: RunLanding

    public init(
        id: String, status: RunStatus, branch: String, baseCommit: String, configHash: String, configJSON: String,
        toolVersions: String, agent: String, snapshotID: String, dryRun: Bool, pid: Int32, host: String,
        createdAt: String, updatedAt: String, finishedAt: String? = nil, landing: RunLanding = .checkout
    ) {
        self.landing = landing
        self.id = id
        self.status = status
        self.branch = branch
        self.baseCommit = baseCommit
        self.configHash = configHash
        self.configJSON = configJSON
        self.toolVersions = toolVersions
        self.agent = agent
        self.snapshotID = snapshotID
        self.dryRun = dryRun
        self.pid = pid
        self.host = host
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }
}

/// Where a run lands its fixes.
public enum RunLanding: String, Sendable, Hashable, Codable {
    /// On the branch checked out in the working tree, writing its files and index.
    case checkout
    /// Only on the branch ref (`stomper fix --branch`): working tree, index and HEAD untouched;
    /// a missing branch is created at the run's base commit.
    case branch
}

/// One planned file of a run and where it stands.
public struct JobRecord: Sendable, Hashable, Codable {
    public var runID: String
    public var path: String
    public var key: String
    public var baseBlob: String
    /// JSON array of the diagnostics the job targets.
    public var diagnostics: String
    public var state: JobState
    /// JSON of the job's last outcome (set when it finishes), opaque to the ledger.
    public var outcome: String?
    public var updatedAt: String

    public init(
        runID: String, path: String, key: String, baseBlob: String, diagnostics: String, state: JobState,
        outcome: String? = nil, updatedAt: String
    ) {
        self.runID = runID
        self.path = path
        self.key = key
        self.baseBlob = baseBlob
        self.diagnostics = diagnostics
        self.state = state
        self.outcome = outcome
        self.updatedAt = updatedAt
    }
}

/// Something that happened, appended as it happens.
public struct EventRecord: Sendable, Hashable, Codable {
    public enum Level: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case debug, info, warning, error

        private var rank: Int { Level.allCases.firstIndex(of: self)! }
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    public static let schemaVersion = 1

    /// Position in the ledger; assigned when appended.
    public var sequence: Int64?
    public var schemaVersion: Int
    /// ISO-8601 UTC with milliseconds.
    public var timestamp: String
    public var level: Level
    public var runID: String?
    /// The job's path, for job events.
    public var job: String?
    /// What happened: `run.started`, `job.started`, `agent.finished`, `cache.hit`, …
    public var type: String
    /// The pipeline step it belongs to: `plan`, `agent`, `verify`, `land`, `resume`, …
    public var step: String
    /// A JSON object with the details.
    public var data: String

    public init(
        level: Level = .info, runID: String?, job: String? = nil, type: String, step: String,
        data: String = "{}", timestamp: String = Timestamp.now()
    ) {
        self.sequence = nil
        self.schemaVersion = Self.schemaVersion
        self.timestamp = timestamp
        self.level = level
        self.runID = runID
        self.job = job
        self.type = type
        self.step = step
        self.data = data
    }
}

/// The proof of one landed fix.
public struct ReceiptRecord: Sendable, Hashable, Codable {
    public var runID: String
    public var path: String
    public var key: String
    public var commit: String
    public var patchSHA256: String
    /// JSON object: code → count.
    public var diagnosticsFixed: String
    public var agentCalls: Int
    public var agentSeconds: Double
    public var totalSeconds: Double
    public var cacheHit: Bool
    public var createdAt: String

    public init(
        runID: String, path: String, key: String, commit: String, patchSHA256: String, diagnosticsFixed: String,
        agentCalls: Int, agentSeconds: Double, totalSeconds: Double, cacheHit: Bool, createdAt: String = Timestamp.now()
    ) {
        self.runID = runID
        self.path = path
        self.key = key
        self.commit = commit
        self.patchSHA256 = patchSHA256
        self.diagnosticsFixed = diagnosticsFixed
        self.agentCalls = agentCalls
        self.agentSeconds = agentSeconds
        self.totalSeconds = totalSeconds
        self.cacheHit = cacheHit
        self.createdAt = createdAt
    }
}

/// A verified patch kept under its idempotency key.
public struct CachedFix: Sendable, Hashable {
    public var key: String
    public var path: String
    /// The patch, JSON, opaque to the ledger.
    public var patch: String
    public var patchSHA256: String
    public var createdAt: String
    public var hits: Int
}

public enum Timestamp {
    /// ISO-8601 UTC with milliseconds: `2026-11-22T10:15:00.123Z`.
    public static func now() -> String { string(Date()) }

    /// Formatted by hand: an `ISO8601DateFormatter` per call (the ledger stamps several rows per
    /// job) was 6 % of all CPU in a 200-job benchmark run.
    public static func string(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (whole, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        var seconds = time_t(whole)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2)
            + "T" + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2)
            + "." + pad(Int32(fraction), 3) + "Z"
    }
}
