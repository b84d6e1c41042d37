import Foundation
import StomperAgents
import StomperGit
public import StomperLedger
public import StomperQuality

extension Pipeline {
    /// Lints the selection once (one linter process) and turns each file with diagnostics into a
    /// job, or into a skipped outcome when it must not be touched.
    ///
    /// - Parameters:
    ///   - paths: files or folders relative to the repository root; empty means everything.
    ///   - target: what the plan is for (`PlanTarget`): the checked-out branch, a branch ref only
    ///     (the base commit's content is linted, uncommitted changes do not matter), or nothing.
    public func plan(
        paths: [String], selection: FileSelection = FileSelection(),
        target: PlanTarget = .checkout
    ) async throws -> FixPlan {
        let repository = self.repository
        let head = try await BlockingIO.run { try repository.head() }
        let resolved = try resolve(target, head: head)
        let (branch, base) = (resolved.branch, resolved.base)
        let toolVersions = try await Self.versions(of: linter)
        let linted =
            resolved.landing == .branchOnly
            ? try await lintCommit(base, paths: paths)
            : try await linter.lintGrouped(paths: paths, root: repository.workdir)
        let selected = selection.apply(linted)
        let byFile = selected.files
        let files = byFile.keys.sorted()
        let entries = try await BlockingIO.run { try repository.entries(at: files, in: base) }
        // Landing only on a branch ref never reads or writes the working tree: its edits do not matter.
        let dirty = files.isEmpty || resolved.landing == .branchOnly ? [] : try await BlockingIO.run { try repository.uncommittedPaths() }
        let configurationHash = configuration.resultHash
        var jobs: [FileJob] = []
        var skipped: [FileOutcome] = []
        for path in files {
            let diagnostics = byFile[path] ?? []
            guard !path.hasPrefix("/"), let entry = entries[path] else {
                skipped.append(.skipped(withDiagnostics: diagnostics, path, "not tracked by git: commit the file to let stomper fix it"))
                continue
            }
            guard entry.mode == .regular || entry.mode == .executable else {
                skipped.append(.skipped(withDiagnostics: diagnostics, path, "not a regular file"))
                continue
            }
            guard !dirty.contains(path) else {
                skipped.append(.skipped(withDiagnostics: diagnostics, path, "uncommitted changes"))
                continue
            }
            // Targets follow the fixers: a job takes on only what some agent of the chain can fix;
            // the rest needs an AI agent and is reported so, not as a failure of this run's fixer.
            let targets = diagnostics.filter(canFix)
            let untargeted = diagnostics.filter { !canFix($0) }
            guard !targets.isEmpty else {
                var outcome = FileOutcome.skipped(path, Self.needsAgentReason(untargeted), diagnostics: diagnostics.count)
                outcome.status = .needsAgent
                outcome.needsAgent = untargeted.sorted()
                skipped.append(outcome)
                continue
            }
            let key = IdempotencyKey(
                path: path, baseBlob: entry.id, diagnostics: targets, agent: agentIdentity,
                toolVersions: toolVersions, configurationHash: configurationHash)
            let all = linted[path] ?? diagnostics
            jobs.append(
                FileJob(
                    path: path, baseBlob: entry.id, diagnostics: targets, key: key,
                    baseline: all.count == targets.count ? nil : all, needsAgent: untargeted.sorted()))
        }
        return FixPlan(
            runID: FixPlan.newRunID(), branch: branch, base: base, jobs: jobs, skipped: skipped,
            toolVersions: toolVersions, excluded: selected.excluded, landing: resolved.landing)
    }

    /// Why a file with only diagnostics no fixer of the run can fix is left, with what to run.
    static func needsAgentReason(_ diagnostics: [Diagnostic]) -> String {
        let codes = Set(diagnostics.map(\.code)).sorted().joined(separator: ", ")
        return "needs an agent: \(codes) \(diagnostics.count == 1 ? "is" : "are") not autofixable "
            + "(try --chain autofix,claude or --agent chat)"
    }

    /// Each linter's version, by name (a set of linters reports every member's).
    public static func versions(of linter: any Linter) async throws -> [String: String] {
        if let set = linter as? LinterSet { return try await set.versions() }
        return [linter.name: try await linter.version()]
    }

    // MARK: Recording a new run

    /// Records a new run in the ledger (run, snapshot manifest, planned jobs) and returns its recorder.
    public func begin(_ plan: FixPlan, dryRun: Bool, ledger: Ledger) async throws -> RunRecorder {
        let snapshot = Snapshot(runID: plan.runID, jobs: plan.jobs)
        let now = Timestamp.now()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let run = RunRecord(
            id: plan.runID, status: .running, branch: plan.branch, baseCommit: plan.base.hex,
            configHash: configuration.resultHash,
            configJSON: String(decoding: try encoder.encode(configuration), as: UTF8.self),
            toolVersions: CanonicalJSON.object(plan.toolVersions.mapValues { .string($0) }).text,
            agent: CanonicalJSON.object([
                "kind": .string(agentIdentity.kind), "name": .string(agentIdentity.name),
                "settings": .string(agentIdentity.settings),
            ]).text,
            snapshotID: snapshot.id, dryRun: dryRun, pid: getpid(), host: ProcessInfo.processInfo.hostName,
            createdAt: now, updatedAt: now, landing: plan.landing == .branchOnly ? .branch : .checkout)
        var jobs = try plan.jobs.map { job in
            JobRecord(
                runID: plan.runID, path: job.path, key: job.key.value, baseBlob: job.baseBlob.hex,
                diagnostics: String(decoding: try encoder.encode(job.diagnostics), as: UTF8.self), state: .planned,
                updatedAt: now)
        }
        let recorder = RunRecorder(ledger: ledger, runID: plan.runID)
        for skipped in plan.skipped {
            jobs.append(
                JobRecord(
                    runID: plan.runID, path: skipped.path, key: "", baseBlob: "", diagnostics: "[]",
                    state: .skipped(reason: skipped.reason ?? "skipped"), outcome: recorder.encode(skipped),
                    updatedAt: now))
        }
        try await ledger.createRun(run, manifest: snapshot.manifest, jobs: jobs)
        try await recorder.event(
            "run.started", step: "plan",
            [
                "branch": .string(plan.branch), "base": .string(plan.base.hex), "jobs": .int(plan.jobs.count),
                "skipped": .int(plan.skipped.count), "snapshot": .string(snapshot.id), "dry_run": .bool(dryRun),
                "parallel": .int(configuration.maxParallelFiles), "agent": .string(agentIdentity.description),
                "excluded": .int(plan.excluded.count), "landing": .string(plan.landing.name),
            ])
        return recorder
    }
}
