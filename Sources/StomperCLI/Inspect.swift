import ArgumentParser
import Foundation
import StomperCore
import StomperLedger

extension RunState {
    /// `landed, failed, skipped` as people read a run: a dry run's verified fixes as "would be
    /// fixed", files an unfinished run never started as "not started".
    var progress: String {
        var parts = [
            dryRun ? "\(jobs.wouldFix) would be fixed" : "\(jobs.landed) landed",
            "\(jobs.failed) failed", "\(jobs.skipped) skipped",
        ]
        if jobs.left > 0 { parts.append(status == "running" ? "\(jobs.left) left" : "\(jobs.left) not started") }
        return (dryRun ? "dry run: " : "") + parts.joined(separator: ", ") + " of \(jobs.total)"
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the current or last run: status and progress.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print the run state and the outcome of each finished file as JSON.") var json = false

    func run() async throws {
        do {
            let history = try global.openWorkspace().history()
            guard let run = try await history.current() else {
                if json { throw RunSelectionError(.noRuns, "no runs yet in this repository") }
                Terminal.out("stomper: no runs yet in this repository")
                return
            }
            let state = try await history.state(of: run, files: json)
            if json {
                Terminal.document(state)
                return
            }
            let jobs = state.jobs
            Terminal.out(
                "run \(run.id): \(run.status.rawValue) on \(run.branch), \(jobs.total - jobs.left)/\(jobs.total) files done "
                    + "(\(state.progress))")
            Terminal.out("started \(run.createdAt) by pid \(run.pid) on \(run.host)" + (run.finishedAt.map { ", finished \($0)" } ?? ""))
            if run.status.isUnfinished && !RunGate.isLive(run) || run.status == .interrupted {
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
            let history = try global.openWorkspace().history()
            let states = try await history.states(limit: limit)
            if json {
                Terminal.document(states)
                return
            }
            for state in states {
                Terminal.out(
                    "\(state.id)  \(state.status.padding(toLength: 11, withPad: " ", startingAt: 0)) "
                        + "\(state.createdAt)  \(state.progress)")
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
            let history = try global.openWorkspace().history()
            let record = try await history.run(run)
            if json {
                Terminal.document(try await history.detail(of: record))
                return
            }
            let jobs = try await history.jobs(of: record)
            Terminal.out(
                "run \(record.id): \(record.status.rawValue)\(record.dryRun ? " (dry run)" : "") on \(record.branch) "
                    + "from \(record.baseCommit.prefix(12)), snapshot \(record.snapshotID)")
            for job in jobs {
                let outcome = job.storedOutcome
                // A dry run's verified fix is stored as skipped; a file an unfinished run never
                // started is still planned.
                let wouldFix = outcome?["status"]?.string == "would_fix"
                let name = wouldFix ? "would fix" : job.state == .planned && record.status != .running ? "not started" : job.state.name
                var line =
                    name.padding(toLength: max(9, name.count + 1), withPad: " ", startingAt: 0) + job.path + ": "
                    + (wouldFix ? "verified fix not committed (dry run)" : job.state.description)
                // A landed fix that left diagnostics says so (the ledger state alone reads "landed").
                if case .landed = job.state, outcome?["status"]?.string == "partially_fixed" {
                    line += " (partially fixed" + (outcome?["reason"]?.string.map { ": \($0)" } ?? "") + ")"
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
                throw CLIError.badFlag(flag: "--level", value: level, expected: "is not a level: use debug, info, warning or error")
            }
            if all, let run {
                throw CLIError.conflictingFlags(flag: "--all", other: "--run", why: "--all shows every run; it cannot be combined with --run \(run)")
            }
            let history = try global.openWorkspace().history()
            var target: RunRecord?
            if !all {
                do {
                    target = try await history.run(run ?? "latest")
                } catch let error as RunSelectionError where error.code == .noRuns && run == nil {
                    return  // Nothing recorded yet: nothing to show.
                }
            }
            var last: Int64 = 0
            while !Task.isCancelled {
                // Read the run's status before its events: once it reads ended, every event it
                // recorded is already in the ledger, so the next read is the last one needed.
                var ended = false
                if follow, let target { ended = try await history.hasEnded(target.id) }
                var events: [EventRecord]
                repeat {
                    events = try await history.events(after: last, runID: target?.id, limit: Self.page)
                    for event in events {
                        last = event.sequence ?? last
                        if event.level >= minimum { Terminal.documentLine(EventDocument(event)) }
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
}
