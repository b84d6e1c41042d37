import Foundation
import GRDB
import StomperProcess

/// How one agent attempt on one file ended, as decided by verification (never by the agent).
public enum AttemptOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every diagnostic it was given is gone, nothing new, the gate and the tests passed.
    case fixed
    /// Some are gone and none were introduced; the rest was left to a later attempt or agent.
    case improved
    /// Nothing it was given went away, or it introduced new diagnostics, or the tests failed.
    case notFixed = "not_fixed"
    /// A safety check refused it: a suppression, a configuration edit, another file, a commit.
    case rejected
    /// The agent itself failed (non-zero exit, crash, timeout, unusable reply).
    case agentFailed = "agent_failed"
}

/// One agent attempt, for learning: who, on what, how it ended, what it cost.
public struct AttemptRecord: Sendable, Hashable {
    /// What the attempt did to one rule code of the file.
    public struct CodeResult: Sendable, Hashable {
        public var linter: String
        public var code: String
        /// How many diagnostics of this code the attempt was asked to fix.
        public var targeted: Int
        /// How many of them are gone after it.
        public var fixed: Int

        public init(linter: String, code: String, targeted: Int, fixed: Int) {
            self.linter = linter
            self.code = code
            self.targeted = targeted
            self.fixed = fixed
        }
    }

    public var runID: String
    public var path: String
    public var attempt: Int
    /// The agent's identity as shown to people (`autofix`, `command:stomper-mock-agent`, `chat:gpt-4o-mini`).
    public var agent: String
    public var outcome: AttemptOutcome
    public var durationMilliseconds: Int
    public var inputTokens: Int?
    public var outputTokens: Int?
    public var costUSD: Double?
    /// The verified diff of a fixed or improved attempt (examples for later prompts).
    public var diff: String?
    public var codes: [CodeResult]
    public var createdAt: String

    public init(
        runID: String, path: String, attempt: Int, agent: String, outcome: AttemptOutcome, durationMilliseconds: Int,
        inputTokens: Int? = nil, outputTokens: Int? = nil, costUSD: Double? = nil, diff: String? = nil,
        codes: [CodeResult], createdAt: String = Timestamp.now()
    ) {
        self.runID = runID
        self.path = path
        self.attempt = attempt
        self.agent = agent
        self.outcome = outcome
        self.durationMilliseconds = durationMilliseconds
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.diff = diff
        self.codes = codes
        self.createdAt = createdAt
    }
}

/// What the ledger has learnt about one agent on one rule code.
///
/// An attempt counts as a success for a code when it fixed every diagnostic of that code it was
/// given and verification accepted it (`fixed` or `improved`).
public struct LearningFigure: Sendable, Hashable, Codable {
    public var linter: String
    public var code: String
    public var agent: String
    public var attempts: Int
    public var successes: Int
    public var targeted: Int
    public var fixed: Int
    public var meanMilliseconds: Double

    public var successRate: Double { attempts == 0 ? 0 : Double(successes) / Double(attempts) }
}

/// What one agent cost over all its attempts.
public struct AgentFigure: Sendable, Hashable, Codable {
    public var agent: String
    public var attempts: Int
    /// Attempts that ended `fixed` or `improved`.
    public var accepted: Int
    public var meanMilliseconds: Double
    public var inputTokens: Int?
    public var outputTokens: Int?
    public var costUSD: Double?
}

extension Ledger {
    /// Records an attempt and what it did to each code, in one transaction. The diff (agent
    /// output) is stored redacted.
    public func recordAttempt(_ record: AttemptRecord) async throws {
        var record = record
        record.diff = record.diff.map(redactor.redact)
        try await write { [record] db in
            try db.execute(
                sql: """
                    INSERT INTO attempt (run_id, path, attempt, agent, outcome, duration_ms, input_tokens, output_tokens, cost_usd,
                                         diff, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.runID, record.path, record.attempt, record.agent, record.outcome.rawValue,
                    record.durationMilliseconds, record.inputTokens, record.outputTokens, record.costUSD,
                    record.diff, record.createdAt,
                ])
            let id = db.lastInsertedRowID
            for code in record.codes {
                try db.execute(
                    sql: """
                        INSERT INTO attempt_code (attempt_id, linter, code, targeted, fixed) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (attempt_id, linter, code) DO UPDATE SET targeted = targeted + excluded.targeted,
                                                                             fixed = fixed + excluded.fixed
                        """, arguments: [id, code.linter, code.code, code.targeted, code.fixed])
            }
        }
    }

    /// Success figures per (linter, code, agent), optionally only for `codes`; sorted by linter, code, agent.
    public func learningFigures(codes: Set<String>? = nil) async throws -> [LearningFigure] {
        let figures = try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.linter, c.code, a.agent, COUNT(*) AS attempts,
                           SUM(CASE WHEN a.outcome IN ('fixed', 'improved') AND c.fixed >= c.targeted THEN 1 ELSE 0 END) AS successes,
                           SUM(c.targeted) AS targeted, SUM(c.fixed) AS fixed, AVG(a.duration_ms) AS mean_ms
                    FROM attempt_code c JOIN attempt a ON a.id = c.attempt_id
                    GROUP BY c.linter, c.code, a.agent
                    ORDER BY c.linter, c.code, a.agent
                    """
            ).map { row in
                LearningFigure(
                    linter: row["linter"], code: row["code"], agent: row["agent"], attempts: row["attempts"],
                    successes: row["successes"], targeted: row["targeted"], fixed: row["fixed"],
                    meanMilliseconds: row["mean_ms"])
            }
        }
        guard let codes else { return figures }
        return figures.filter { codes.contains($0.code) }
    }

    /// Attempts, acceptance, time, tokens and cost per agent.
    public func agentFigures() async throws -> [AgentFigure] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT agent, COUNT(*) AS attempts, SUM(CASE WHEN outcome IN ('fixed', 'improved') THEN 1 ELSE 0 END) AS accepted,
                           AVG(duration_ms) AS mean_ms, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                           SUM(cost_usd) AS cost_usd
                    FROM attempt GROUP BY agent ORDER BY agent
                    """
            ).map { row in
                AgentFigure(
                    agent: row["agent"], attempts: row["attempts"], accepted: row["accepted"], meanMilliseconds: row["mean_ms"],
                    inputTokens: row["input_tokens"], outputTokens: row["output_tokens"], costUSD: row["cost_usd"])
            }
        }
    }

    /// The latest verified diffs that fixed `code` in this repository, newest first, at most `limit`,
    /// each at most `maxCharacters` long (longer ones are skipped: an example must be readable).
    public func fixExamples(code: String, limit: Int, maxCharacters: Int = 4000) async throws -> [(path: String, diff: String)] {
        let rows: [[String]] = try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.path, a.diff FROM attempt a JOIN attempt_code c ON c.attempt_id = a.id
                    WHERE c.code = ? AND c.fixed > 0 AND a.outcome IN ('fixed', 'improved') AND a.diff IS NOT NULL
                          AND length(a.diff) <= ?
                    ORDER BY a.id DESC LIMIT ?
                    """, arguments: [code, maxCharacters, limit]
            ).map { [$0["path"], $0["diff"]] }
        }
        return rows.map { (path: $0[0], diff: $0[1]) }
    }

    /// How many attempts a run made (for reports and tests).
    public func attempts(runID: String) async throws -> [AttemptRecord] {
        try await read { db in
            let attempts = try Row.fetchAll(db, sql: "SELECT * FROM attempt WHERE run_id = ? ORDER BY id", arguments: [runID])
            return try attempts.map { row in
                let id: Int64 = row["id"]
                let codes = try Row.fetchAll(
                    db, sql: "SELECT * FROM attempt_code WHERE attempt_id = ? ORDER BY linter, code",
                    arguments: [id]
                ).map { code in
                    AttemptRecord.CodeResult(linter: code["linter"], code: code["code"], targeted: code["targeted"], fixed: code["fixed"])
                }
                return AttemptRecord(
                    runID: row["run_id"], path: row["path"], attempt: row["attempt"], agent: row["agent"],
                    outcome: AttemptOutcome(rawValue: row["outcome"]) ?? .agentFailed,
                    durationMilliseconds: row["duration_ms"], inputTokens: row["input_tokens"],
                    outputTokens: row["output_tokens"], costUSD: row["cost_usd"], diff: row["diff"], codes: codes,
                    createdAt: row["created_at"])
            }
        }
    }
}
