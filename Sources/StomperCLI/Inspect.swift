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

    /// The run-state document (`Config/schemas/run-state.schema.json`).
    func runState(_ run: RunRecord) async throws -> [String: Any] {
        let jobs = try await ledger.jobs(runID: run.id)
        let counts = Self.counts(jobs)
        var state: [String: Any] = [
            "schema_version": 1, "id": run.id, "status": run.status.rawValue, "branch": run.branch,
            "base_commit": run.baseCommit, "config_hash": run.configHash, "snapshot_id": run.snapshotID,
            "tool_versions": Self.json(run.toolVersions), "agent": Self.json(run.agent), "dry_run": run.dryRun,
            "pid": Int(run.pid), "host": run.host, "created_at": run.createdAt, "updated_at": run.updatedAt,
            "jobs": ["total": jobs.count, "planned": counts["planned"] ?? 0, "running": counts["running"] ?? 0,
                     "verified": counts["verified"] ?? 0, "landed": counts["landed"] ?? 0, "failed": counts["failed"] ?? 0,
                     "skipped": counts["skipped"] ?? 0],
        ]
        state["finished_at"] = run.finishedAt ?? NSNull()
        return state
    }

    static func eventJSON(_ event: EventRecord) -> [String: Any] {
        [
            "schema_version": event.schemaVersion, "sequence": Int(event.sequence ?? 0), "timestamp": event.timestamp,
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

    static func line(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the current or last run: status and progress.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print the run state as JSON.") var json = false

    func run() async throws {
        do {
            let reader = try LedgerReader.open(global)
            let unfinished = try await reader.ledger.latestUnfinishedRun()
            let latest = try await reader.ledger.runs(limit: 1).first
            guard let run = unfinished ?? latest else {
                Terminal.out("stomper: no runs yet in this repository")
                return
            }
            let state = try await reader.runState(run)
            if json {
                Terminal.json(state)
                return
            }
            let jobs = state["jobs"] as! [String: Int]
            let done = (jobs["landed"] ?? 0) + (jobs["failed"] ?? 0) + (jobs["skipped"] ?? 0)
            Terminal.out("run \(run.id): \(run.status.rawValue) on \(run.branch), \(done)/\(jobs["total"] ?? 0) files done "
                         + "(\(jobs["landed"] ?? 0) landed, \(jobs["failed"] ?? 0) failed, \(jobs["skipped"] ?? 0) skipped, "
                         + "\((jobs["planned"] ?? 0) + (jobs["running"] ?? 0) + (jobs["verified"] ?? 0)) left)")
            Terminal.out("started \(run.createdAt) by pid \(run.pid) on \(run.host)" + (run.finishedAt.map { ", finished \($0)" } ?? ""))
            if run.status.isUnfinished && !ProcessLiveness.isAlive(pid: run.pid, host: run.host) || run.status == .interrupted {
                Terminal.out("finish it with `stomper resume`, or start over with `stomper fix --abandon`")
            }
        } catch {
            throw Failure.exit(error)
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
                let jobs = state["jobs"] as! [String: Int]
                Terminal.out("\(state["id"]!)  \((state["status"] as! String).padding(toLength: 11, withPad: " ", startingAt: 0)) "
                             + "\(state["created_at"]!)  \(jobs["landed"] ?? 0) landed, \(jobs["failed"] ?? 0) failed, "
                             + "\(jobs["skipped"] ?? 0) skipped of \(jobs["total"] ?? 0)")
            }
        } catch {
            throw Failure.exit(error)
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one run: per-file outcomes, reasons, commits and receipts.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run id (`stomper runs` lists them).") var run: String
    @Flag(help: "Print JSON: run state, snapshot manifest, jobs and receipts.") var json = false

    func run() async throws {
        do {
            let reader = try LedgerReader.open(global)
            guard let record = try await reader.ledger.run(run) else {
                throw ConfigError("no run \(run) in the ledger: `stomper runs` lists them")
            }
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
                        if let outcome = job.outcome { object["outcome"] = LedgerReader.json(outcome) }
                        return object
                    },
                    "receipts": receipts.map(LedgerReader.receiptJSON),
                ] as [String: Any])
                return
            }
            Terminal.out("run \(record.id): \(record.status.rawValue) on \(record.branch) from \(record.baseCommit.prefix(12)), snapshot \(record.snapshotID)")
            for job in jobs {
                var line = job.state.name.padding(toLength: 9, withPad: " ", startingAt: 0) + job.path + ": " + job.state.description
                // A landed fix that left diagnostics says so (the ledger state alone reads "landed").
                if case .landed = job.state, let outcome = job.outcome,
                   let object = try? JSONSerialization.jsonObject(with: Data(outcome.utf8)) as? [String: Any],
                   object["status"] as? String == "partially_fixed" {
                    line += " (partially fixed" + ((object["reason"] as? String).map { ": \($0)" } ?? "") + ")"
                }
                Terminal.out(line)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Failure.exit(error)
        }
    }
}

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the ledger's events as NDJSON (one JSON object per line).",
        discussion: "With -f, keeps printing new events as they are recorded (from another terminal during a run).")

    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Follow: keep printing new events.") var follow = false
    @Option(help: "Lowest level shown: debug, info, warning, error.") var level: String = "debug"
    @Option(help: "Only events of this run.") var run: String?

    func run() async throws {
        guard let minimum = EventRecord.Level(rawValue: level) else {
            throw Failure.exit(ConfigError("--level \(level) is not a level: use debug, info, warning or error"))
        }
        do {
            let reader = try LedgerReader.open(global)
            var last: Int64 = 0
            repeat {
                let events = try await reader.ledger.events(after: last, runID: run, minimumLevel: .debug, limit: 1000)
                for event in events {
                    last = event.sequence ?? last
                    if event.level >= minimum { Terminal.out(LedgerReader.line(LedgerReader.eventJSON(event))) }
                }
                if follow && events.count < 1000 { try await Task.sleep(for: .milliseconds(200)) }
            } while follow && !Task.isCancelled
        } catch is CancellationError {
            return
        } catch {
            throw Failure.exit(error)
        }
    }
}
