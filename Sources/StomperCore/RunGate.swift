import Foundation
public import StomperGit
public import StomperLedger
import StomperProcess

/// The run policy: which runs may start beside which, and which may be resumed.
///
/// Runs of live processes may run beside a new one when the anti-stomp layer is on (leases keep
/// them off each other's files); with `maasl.enabled = false` one run at a time is enforced here.
/// A run of a dead process left unfinished blocks new runs until it is resumed or abandoned, so
/// its half-done work is never silently dropped.
public enum RunGate {
    /// Refuses to start a run (`CoreError.runBlocked`) while a run of a dead process is
    /// unfinished, unless `abandon`, which marks such runs aborted. Returns the ids abandoned, for
    /// the caller to report.
    @discardableResult
    public static func check(_ ledger: Ledger, abandon: Bool, concurrentRunsAllowed: Bool) async throws -> [String] {
        var abandoned: [String] = []
        for run in try await ledger.unfinishedRuns() {
            if run.status == .running, ProcessLiveness.isAlive(pid: run.pid, host: run.host) {
                if concurrentRunsAllowed { continue }
                throw CoreError(
                    .runBlocked,
                    "another stomper run is in progress (run \(run.id), pid \(run.pid)) and maasl.enabled = false; "
                        + "wait for it to finish, or enable the anti-stomp layer to run both", subject: run.id)
            }
            if abandon {
                try await ledger.setRunStatus(run.id, .aborted)
                try await ledger.append(
                    EventRecord(
                        level: .warning, runID: run.id, type: "run.aborted", step: "plan",
                        data: "{\"reason\":\"abandoned by stomper fix --abandon\"}"))
                abandoned.append(run.id)
                continue
            }
            let jobs = try await ledger.jobs(runID: run.id)
            let left = jobs.filter { !$0.state.isTerminal }.count
            throw CoreError(
                .runBlocked,
                "run \(run.id) is unfinished (\(left) of \(jobs.count) files left): "
                    + "run `stomper resume` to finish it, or `stomper fix --abandon` to drop it and start over", subject: run.id)
        }
        return abandoned
    }

    /// The run to resume: the one `id` names (`RunSelection`), else the latest unfinished run of
    /// a stopped process. Throws `CoreError.notResumable` when there is none, or it is finished, a
    /// dry run, or still in progress in a live process.
    public static func resumable(_ id: String?, ledger: Ledger) async throws -> RunRecord {
        let record: RunRecord
        if let id {
            record = try await RunSelection.resolve(id, ledger: ledger)
        } else {
            // Runs of live processes are running beside this one, not waiting to be resumed.
            let candidates = try await ledger.unfinishedRuns().filter { run in
                !(run.status == .running && ProcessLiveness.isAlive(pid: run.pid, host: run.host))
            }
            guard let found = candidates.first else {
                throw CoreError(.notResumable, "nothing to resume: no unfinished run of a stopped process (`stomper runs` lists them)")
            }
            record = found
        }
        guard record.status.isUnfinished else {
            throw CoreError(
                .notResumable, "run \(record.id) is \(record.status.rawValue); only running or interrupted runs can be resumed",
                subject: record.id)
        }
        guard !record.dryRun else {
            throw CoreError(
                .notResumable, "run \(record.id) was a dry run; start a new one with `stomper fix --abandon --dry-run`",
                subject: record.id)
        }
        if record.status == .running, record.pid != getpid(), ProcessLiveness.isAlive(pid: record.pid, host: record.host) {
            throw CoreError(.notResumable, "run \(record.id) is still in progress (pid \(record.pid) on \(record.host))", subject: record.id)
        }
        return record
    }

    /// What a fix plans for: the named branch (flag or `fix.branch`), else the checked-out branch,
    /// or, for a dry run, whatever HEAD is (a detached HEAD is planned at its commit).
    public static func planTarget(branch: String, dryRun: Bool) -> PlanTarget {
        if !branch.isEmpty { return .branch(branch) }
        return dryRun ? .readOnly : .checkout
    }

    /// Why a fix must do nothing, or nil: in CI, when HEAD is stomper's own commit (its message
    /// carries a `Stomper-Run:` trailer), a run would only fix its own output again and push the
    /// loop on; `allowOwnHead` lifts the guard. Outside CI it is not applied.
    public static func ownHead(_ repository: GitRepository, ci: CIEnvironment, allowOwnHead: Bool) throws -> String? {
        guard ci.isCI, !allowOwnHead else { return nil }
        let commit: ObjectID
        switch try repository.head() {
        case .branch(_, let id), .detached(let id): commit = id
        case .unborn: return nil
        }
        guard let run = CommitMessage.runID(in: try repository.message(of: commit)) else { return nil }
        return "stomper: HEAD (\(commit.hex.prefix(12))) is stomper's own commit (run \(run)); nothing to do in CI "
            + "(pass --allow-own-head to fix anyway)"
    }

    /// Whether the process that recorded `run` is still alive (zombies count as dead).
    public static func isLive(_ run: RunRecord) -> Bool {
        isLive(pid: run.pid, host: run.host)
    }

    /// Whether process `pid` on `host` is alive (a lease holder, a run); another host's is
    /// assumed alive, as it cannot be asked.
    public static func isLive(pid: Int32, host: String) -> Bool {
        ProcessLiveness.isAlive(pid: pid, host: host)
    }
}
