import Foundation

/// The run-state document of `status`, `runs` and `show` (`Config/schemas/run-state.schema.json`).
/// Keys are spelled as printed; values the ledger stores as JSON text stay `JSONValue`s.
public struct RunState: Sendable, Hashable, Codable {
    /// Version 2: `jobs.would_fix`, `files` (status), `skipped` without a dry run's would-fix files.
    public static let version = 2

    /// Jobs by state. A dry run records its verified fixes as skipped jobs whose outcome says
    /// `would_fix`; they are counted under `wouldFix`, not `skipped`.
    public struct Jobs: Sendable, Hashable, Codable {
        public var total = 0, planned = 0, running = 0, verified = 0, landed = 0, failed = 0, skipped = 0, wouldFix = 0

        public init(
            total: Int = 0, planned: Int = 0, running: Int = 0, verified: Int = 0, landed: Int = 0, failed: Int = 0,
            skipped: Int = 0, wouldFix: Int = 0
        ) {
            (self.total, self.planned, self.running, self.verified) = (total, planned, running, verified)
            (self.landed, self.failed, self.skipped, self.wouldFix) = (landed, failed, skipped, wouldFix)
        }

        /// Files the run has not finished: planned, running or verified.
        public var left: Int { planned + running + verified }

        enum CodingKeys: String, CodingKey {
            case total, planned, running, verified, landed, failed, skipped, wouldFix = "would_fix"
        }
    }

    public var schemaVersion = RunState.version
    public var id: String
    public var status: String
    public var branch: String
    public var baseCommit: String
    public var configHash: String
    public var snapshotID: String
    public var toolVersions: JSONValue
    public var agent: JSONValue
    public var dryRun: Bool
    public var pid: Int
    public var host: String
    public var createdAt: String
    public var updatedAt: String
    /// Printed as `null` while the run has not finished.
    public var finishedAt: String?
    public var jobs: Jobs
    /// The stored outcome of every file that has one, by path (`status --json` only).
    public var files: [JSONValue]?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", id, status, branch, baseCommit = "base_commit", configHash = "config_hash"
        case snapshotID = "snapshot_id", toolVersions = "tool_versions", agent, dryRun = "dry_run", pid, host
        case createdAt = "created_at", updatedAt = "updated_at", finishedAt = "finished_at", jobs, files
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(branch, forKey: .branch)
        try container.encode(baseCommit, forKey: .baseCommit)
        try container.encode(configHash, forKey: .configHash)
        try container.encode(snapshotID, forKey: .snapshotID)
        try container.encode(toolVersions, forKey: .toolVersions)
        try container.encode(agent, forKey: .agent)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(pid, forKey: .pid)
        try container.encode(host, forKey: .host)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(finishedAt, forKey: .finishedAt)  // null, not absent
        try container.encode(jobs, forKey: .jobs)
        try container.encodeIfPresent(files, forKey: .files)
    }

    /// The state of `run` with its `jobs`; with `files`, their outcomes sorted by path.
    public init(_ run: RunRecord, jobs records: [JobRecord], files: Bool = false) {
        let outcomes = records.compactMap(\.storedOutcome)
        let wouldFix = outcomes.filter { $0["status"]?.string == "would_fix" }.count
        let counts = Dictionary(grouping: records, by: { $0.state.name }).mapValues(\.count)
        id = run.id
        status = run.status.rawValue
        branch = run.branch
        baseCommit = run.baseCommit
        configHash = run.configHash
        snapshotID = run.snapshotID
        toolVersions = JSONValue(text: run.toolVersions)
        agent = JSONValue(text: run.agent)
        dryRun = run.dryRun
        pid = Int(run.pid)
        host = run.host
        createdAt = run.createdAt
        updatedAt = run.updatedAt
        finishedAt = run.finishedAt
        jobs = Jobs(
            total: records.count, planned: counts["planned"] ?? 0, running: counts["running"] ?? 0,
            verified: counts["verified"] ?? 0, landed: counts["landed"] ?? 0, failed: counts["failed"] ?? 0,
            skipped: (counts["skipped"] ?? 0) - wouldFix, wouldFix: wouldFix)
        self.files = files ? outcomes.sorted { ($0["path"]?.string ?? "") < ($1["path"]?.string ?? "") } : nil
    }
}

extension JobRecord {
    /// The stored outcome (a `FileOutcome`, the object `fix --json` lists under
    /// `summary.files`); nil while the job has none.
    public var storedOutcome: JSONValue? {
        guard let outcome else { return nil }
        let value = JSONValue(text: outcome)
        guard case .object = value else { return nil }
        return value
    }
}

/// `show --json`: the run's state, its snapshot manifest, every job and every receipt.
public struct RunDetail: Sendable, Hashable, Codable {
    /// One job as `show` lists it: its state's detail (commit, reason, attempt) beside the state.
    public struct Job: Sendable, Hashable, Codable {
        public var path: String
        public var key: String
        public var state: String
        public var baseBlob: String
        public var commit: String?
        public var reason: String?
        public var attempt: Int?
        public var outcome: JSONValue?

        enum CodingKeys: String, CodingKey {
            case path, key, state, baseBlob = "base_blob", commit, reason, attempt, outcome
        }

        public init(_ job: JobRecord) {
            path = job.path
            key = job.key
            state = job.state.name
            baseBlob = job.baseBlob
            switch job.state {
            case .landed(let commit): self.commit = commit
            case .failed(let reason), .skipped(let reason): self.reason = reason
            case .running(let attempt): self.attempt = attempt
            default: break
            }
            outcome = job.storedOutcome
        }
    }

    public var run: RunState
    public var snapshot: JSONValue
    public var jobs: [Job]
    public var receipts: [ReceiptDocument]

    public init(run: RunState, manifest: String?, jobs: [JobRecord], receipts: [ReceiptRecord]) {
        self.run = run
        snapshot = manifest.map(JSONValue.init(text:)) ?? .null
        self.jobs = jobs.map(Job.init)
        self.receipts = receipts.map(ReceiptDocument.init)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run, forKey: .run)
        try container.encode(snapshot, forKey: .snapshot)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(receipts, forKey: .receipts)
    }
}

/// One event as `tail` prints it (`Config/schemas/event.schema.json`).
public struct EventDocument: Sendable, Hashable, Codable {
    /// Version 2: `data` in snake_case with ISO 8601 times.
    public static let version = 2

    public var schemaVersion = EventDocument.version
    public var sequence: Int
    public var timestamp: String
    public var level: String
    /// Printed as `null` for an event of no run (or no job).
    public var run: String?
    public var job: String?
    public var type: String
    public var step: String
    public var data: JSONValue

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", sequence, timestamp, level, run, job, type, step, data
    }

    public init(_ event: EventRecord) {
        sequence = Int(event.sequence ?? 0)
        timestamp = event.timestamp
        level = event.level.rawValue
        run = event.runID
        job = event.job
        type = event.type
        step = event.step
        data = JSONValue(text: event.data)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(level, forKey: .level)
        try container.encode(run, forKey: .run)
        try container.encode(job, forKey: .job)
        try container.encode(type, forKey: .type)
        try container.encode(step, forKey: .step)
        try container.encode(data, forKey: .data)
    }
}

/// One receipt of a landed fix (`Config/schemas/receipt.schema.json`).
public struct ReceiptDocument: Sendable, Hashable, Codable {
    public var schemaVersion = 1
    public var run: String
    public var path: String
    public var key: String
    public var commit: String
    public var patchSHA256: String
    public var diagnosticsFixed: JSONValue
    public var agentCalls: Int
    public var agentSeconds: Double
    public var totalSeconds: Double
    public var cacheHit: Bool
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", run, path, key, commit, patchSHA256 = "patch_sha256"
        case diagnosticsFixed = "diagnostics_fixed", agentCalls = "agent_calls", agentSeconds = "agent_seconds"
        case totalSeconds = "total_seconds", cacheHit = "cache_hit", createdAt = "created_at"
    }

    public init(_ receipt: ReceiptRecord) {
        run = receipt.runID
        path = receipt.path
        key = receipt.key
        commit = receipt.commit
        patchSHA256 = receipt.patchSHA256
        diagnosticsFixed = JSONValue(text: receipt.diagnosticsFixed)
        agentCalls = receipt.agentCalls
        agentSeconds = receipt.agentSeconds
        totalSeconds = receipt.totalSeconds
        cacheHit = receipt.cacheHit
        createdAt = receipt.createdAt
    }
}

extension Ledger {
    /// The state of `run` as `status` and `runs` print it; with `files`, each file's outcome.
    public func runState(_ run: RunRecord, files: Bool = false) async throws -> RunState {
        RunState(run, jobs: try await jobs(runID: run.id), files: files)
    }

    /// The whole of `run` as `show --json` prints it.
    public func runDetail(_ run: RunRecord) async throws -> RunDetail {
        let jobs = try await jobs(runID: run.id)
        return RunDetail(
            run: RunState(run, jobs: jobs), manifest: try await manifest(runID: run.id), jobs: jobs,
            receipts: try await receipts(runID: run.id))
    }
}
