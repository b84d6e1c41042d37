import ArgumentParser
import Foundation
import StomperLedger
import StomperProcess

/// Shared by the commands that read the ledger.
struct LedgerReader {
    let ledger: Ledger

    static func open(_ global: GlobalOptions) throws -> LedgerReader {
        let session = try Session.open(global, flags: [:])
        return LedgerReader(ledger: try session.openLedger())
    }

    static func counts(_ jobs: [JobRecord]) -> [String: Int] {
        Dictionary(grouping: jobs, by: { $0.state.name }).mapValues(\.count)
    }

    static func json(_ text: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
    }

    /// The stored outcome of a job (a `FileOutcome`, the object `fix --json` lists under
    /// `summary.files`), in the output style; nil while the job has none.
    static func outcome(_ job: JobRecord) -> [String: Any]? {
        guard let text = job.outcome, let object = json(text) as? [String: Any] else { return nil }
        return JSONStyle.normalized(object) as? [String: Any]
    }

    /// The run-state document (`Config/schemas/run-state.schema.json`). With `files`, the
    /// outcome of every file that has one (`status --json`).
    func runState(_ run: RunRecord, files: Bool = false) async throws -> [String: Any] {
        let jobs = try await ledger.jobs(runID: run.id)
        let counts = Self.counts(jobs)
        let outcomes = jobs.compactMap(Self.outcome)
        // A dry run records its verified fixes as skipped jobs; their outcome says would_fix.
        let wouldFix = outcomes.filter { $0["status"] as? String == "would_fix" }.count
        var state: [String: Any] = [
            "schema_version": Self.runStateVersion, "id": run.id, "status": run.status.rawValue, "branch": run.branch,
            "base_commit": run.baseCommit, "config_hash": run.configHash, "snapshot_id": run.snapshotID,
            "tool_versions": Self.json(run.toolVersions), "agent": Self.json(run.agent), "dry_run": run.dryRun,
            "pid": Int(run.pid), "host": run.host, "created_at": run.createdAt, "updated_at": run.updatedAt,
            "jobs": ["total": jobs.count, "planned": counts["planned"] ?? 0, "running": counts["running"] ?? 0,
                     "verified": counts["verified"] ?? 0, "landed": counts["landed"] ?? 0, "failed": counts["failed"] ?? 0,
                     "skipped": (counts["skipped"] ?? 0) - wouldFix, "would_fix": wouldFix],
        ]
        state["finished_at"] = run.finishedAt ?? NSNull()
        if files { state["files"] = outcomes.sorted { ($0["path"] as? String ?? "") < ($1["path"] as? String ?? "") } }
        return state
    }

    /// Version 2: `jobs.would_fix`, `files` (status), `skipped` without a dry run's would-fix files.
    static let runStateVersion = 2
    /// Version 2: `data` in snake_case with ISO 8601 times.
    static let eventVersion = 2

    /// `landed, failed, skipped` as people read a run: a dry run's verified fixes as "would be
    /// fixed", files an unfinished run never started as "not started".
    static func progress(_ state: [String: Any], status: String) -> String {
        let jobs = state["jobs"] as? [String: Int] ?? [:]
        let dryRun = state["dry_run"] as? Bool ?? false
        var parts = [dryRun ? "\(jobs["would_fix"] ?? 0) would be fixed" : "\(jobs["landed"] ?? 0) landed",
                     "\(jobs["failed"] ?? 0) failed", "\(jobs["skipped"] ?? 0) skipped"]
        let left = (jobs["planned"] ?? 0) + (jobs["running"] ?? 0) + (jobs["verified"] ?? 0)
        if left > 0 { parts.append(status == "running" ? "\(left) left" : "\(left) not started") }
        return (dryRun ? "dry run: " : "") + parts.joined(separator: ", ") + " of \(jobs["total"] ?? 0)"
    }

    static func eventJSON(_ event: EventRecord) -> [String: Any] {
        [
            "schema_version": eventVersion, "sequence": Int(event.sequence ?? 0), "timestamp": event.timestamp,
            "level": event.level.rawValue, "run": event.runID ?? NSNull(), "job": event.job ?? NSNull(), "type": event.type,
            "step": event.step, "data": json(event.data),
        ]
    }

    static func receiptJSON(_ receipt: ReceiptRecord) -> [String: Any] {
        [
            "schema_version": 1, "run": receipt.runID, "path": receipt.path, "key": receipt.key, "commit": receipt.commit,
            "patch_sha256": receipt.patchSHA256, "diagnostics_fixed": json(receipt.diagnosticsFixed),
            "agent_calls": receipt.agentCalls, "agent_seconds": receipt.agentSeconds, "total_seconds": receipt.totalSeconds,
            "cache_hit": receipt.cacheHit, "created_at": receipt.createdAt,
        ]
    }

}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the current or last run: status and progress.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print the run state and the outcome of each finished file as JSON.") var json = false

    func run() async throws {
        do {
            let reader = try LedgerReader.open(global)
            let unfinished = try await reader.ledger.latestUnfinishedRun()
            let latest = try await reader.ledger.runs(limit: 1).first
            guard let run = unfinished ?? latest else {
                if json { throw RunSelectionError(.noRuns, "no runs yet in this repository") }
                Terminal.out("stomper: no runs yet in this repository")
                return
            }
            let state = try await reader.runState(run, files: json)
            if json {
                Terminal.json(state)
                return
            }
            let jobs = state["jobs"] as! [String: Int]
            let left = (jobs["planned"] ?? 0) + (jobs["running"] ?? 0) + (jobs["verified"] ?? 0)
            Terminal.out("run \(run.id): \(run.status.rawValue) on \(run.branch), \((jobs["total"] ?? 0) - left)/\(jobs["total"] ?? 0) files done "
                         + "(\(LedgerReader.progress(state, status: run.status.rawValue)))")
            Terminal.out("started \(run.createdAt) by pid \(run.pid) on \(run.host)" + (run.finishedAt.map { ", finished \($0)" } ?? ""))
            if run.status.isUnfinished && !ProcessLiveness.isAlive(pid: run.pid, host: run.host) || run.status == .interrupted {
                Terminal.out("finish it with `stomper resume`, or start over with `stomper fix --abandon`")
            }
        } catch {
            throw Failure.exit(error, json: json)
        }
    }
}

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the runs recorded in this repository, newest first.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "How many runs to list.") var limit = 20
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        do {
            let reader = try LedgerReader.open(global)
            var states: [[String: Any]] = []
            for run in try await reader.ledger.runs(limit: limit) { states.append(try await reader.runState(run)) }
            if json {
                Terminal.json(states)
                return
            }
            for state in states {
                let status = state["status"] as! String
                Terminal.out("\(state["id"]!)  \(status.padding(toLength: 11, withPad: " ", startingAt: 0)) "
                             + "\(state["created_at"]!)  \(LedgerReader.progress(state, status: status))")
            }
        } catch {
            throw Failure.exit(error, json: json)
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one run: per-file outcomes, reasons, commits and receipts.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run: `latest`, an id from `stomper runs`, or any unique prefix of one.") var run: String
    @Flag(help: "Print JSON: run state, snapshot manifest, jobs and receipts.") var json = false

    func run() async throws {
        do {
            let reader = try LedgerReader.open(global)
            let record = try await RunSelection.resolve(run, ledger: reader.ledger)
            let jobs = try await reader.ledger.jobs(runID: record.id)
            let receipts = try await reader.ledger.receipts(runID: record.id)
            if json {
                Terminal.json([
                    "run": try await reader.runState(record),
                    "snapshot": LedgerReader.json(try await reader.ledger.manifest(runID: record.id) ?? "null"),
                    "jobs": jobs.map { job -> [String: Any] in
                        var object: [String: Any] = ["path": job.path, "key": job.key, "state": job.state.name, "base_blob": job.baseBlob]
                        switch job.state {
                        case .landed(let commit): object["commit"] = commit
                        case .failed(let reason), .skipped(let reason): object["reason"] = reason
                        case .running(let attempt): object["attempt"] = attempt
                        default: break
                        }
                        if let outcome = LedgerReader.outcome(job) { object["outcome"] = outcome }
                        return object
                    },
                    "receipts": receipts.map(LedgerReader.receiptJSON),
                ] as [String: Any])
                return
            }
            Terminal.out("run \(record.id): \(record.status.rawValue)\(record.dryRun ? " (dry run)" : "") on \(record.branch) "
                         + "from \(record.baseCommit.prefix(12)), snapshot \(record.snapshotID)")
            for job in jobs {
                let outcome = LedgerReader.outcome(job)
                // A dry run's verified fix is stored as skipped; a file an unfinished run never
                // started is still planned.
                let wouldFix = outcome?["status"] as? String == "would_fix"
                let name = wouldFix ? "would fix" : job.state == .planned && record.status != .running ? "not started" : job.state.name
                var line = name.padding(toLength: max(9, name.count + 1), withPad: " ", startingAt: 0) + job.path + ": "
                    + (wouldFix ? "verified fix not committed (dry run)" : job.state.description)
                // A landed fix that left diagnostics says so (the ledger state alone reads "landed").
                if case .landed = job.state, outcome?["status"] as? String == "partially_fixed" {
                    line += " (partially fixed" + ((outcome?["reason"] as? String).map { ": \($0)" } ?? "") + ")"
                }
                Terminal.out(line)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Failure.exit(error, json: json)
        }
    }
}

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the ledger's events as NDJSON (one JSON object per line).",
        discussion: """
            Shows the latest run's events unless --run names another run or --all asks for every \
            run's. With -f, keeps printing new events as they are recorded (from another terminal \
            during a run) and exits once the run has ended (completed, interrupted, failed or \
            aborted, or its process is gone); with --all -f, until interrupted.
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Follow: keep printing new events until the run ends.") var follow = false
    @Option(help: "Lowest level shown: debug, info, warning, error.") var level: String = "debug"
    @Option(help: "Only events of this run: `latest` (the default), an id, or any unique prefix of one.") var run: String?
    @Flag(help: "Events of every run, and those of no run.") var all = false

    /// Events read per query; fewer means the reader has caught up.
    static let page = 1000

    func run() async throws {
        do {
            guard let minimum = EventRecord.Level(rawValue: level) else {
                throw ConfigError("--level \(level) is not a level: use debug, info, warning or error")
            }
            if all, let run { throw ConfigError("--all shows every run; it cannot be combined with --run \(run)") }
            let reader = try LedgerReader.open(global)
            var target: RunRecord?
            if !all {
                do {
                    target = try await RunSelection.resolve(run ?? "latest", ledger: reader.ledger)
                } catch let error as RunSelectionError where error.code == .noRuns && run == nil {
                    return  // Nothing recorded yet: nothing to show.
                }
            }
            var last: Int64 = 0
            while !Task.isCancelled {
                // Read the run's status before its events: once it reads ended, every event it
                // recorded is already in the ledger, so the next read is the last one needed.
                var ended = false
                if follow, let target { ended = try await Self.hasEnded(target.id, ledger: reader.ledger) }
                var events: [EventRecord]
                repeat {
                    events = try await reader.ledger.events(after: last, runID: target?.id, minimumLevel: .debug, limit: Self.page)
                    for event in events {
                        last = event.sequence ?? last
                        if event.level >= minimum { Terminal.jsonLine(LedgerReader.eventJSON(event)) }
                    }
                } while events.count == Self.page
                if !follow || ended { return }
                try await Task.sleep(for: .milliseconds(200))
            }
        } catch is CancellationError {
            return
        } catch {
            throw Failure.exit(error, json: true)
        }
    }

    /// True once the run is no longer `running`, or its process is gone without saying so.
    static func hasEnded(_ id: String, ledger: Ledger) async throws -> Bool {
        guard let run = try await ledger.run(id) else { return true }
        return run.status != .running || !ProcessLiveness.isAlive(pid: run.pid, host: run.host)
    }
}
