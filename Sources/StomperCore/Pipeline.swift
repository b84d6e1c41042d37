import Foundation
public import Logging
public import StomperAgents
public import StomperCoordination
public import StomperGit
public import StomperQuality

/// What the pipeline reports while it runs, for progress displays.
public enum PipelineEvent: Sendable {
    case started(path: String)
    case finished(FileOutcome)
}

/// The per-file worktree pipeline: plan once, then for each file lease a worktree, run the agent,
/// verify, scope-check and land, with at most `maxParallelFiles` files in flight.
public struct Pipeline: Sendable {
    public let repository: GitRepository
    public let configuration: StomperConfiguration
    public let linter: any Linter
    public let agent: any Agent
    public let resourceGuard: any ResourceGuard
    public let logger: Logger

    public init(repository: GitRepository, configuration: StomperConfiguration, linter: any Linter, agent: any Agent,
                resourceGuard: any ResourceGuard = InProcessGuard(), logger: Logger) {
        self.repository = repository
        self.configuration = configuration
        self.linter = linter
        self.agent = agent
        self.resourceGuard = resourceGuard
        self.logger = logger
    }

    // MARK: Planning

    /// Lints the selection once (one linter process) and turns each file with diagnostics into a
    /// job, or into a skipped outcome when it must not be touched.
    ///
    /// - Parameter paths: files or folders relative to the repository root; empty means everything.
    public func plan(paths: [String]) async throws -> FixPlan {
        let repository = self.repository
        let head = try await BlockingIO.run { try repository.head() }
        let branch: String
        let base: ObjectID
        switch head {
        case .branch(let name, let commit):
            (branch, base) = (name, commit)
        case .detached:
            throw CoreError(.repositoryState, "HEAD is detached: check out the branch the fixes should be committed to")
        case .unborn(let name):
            throw CoreError(.repositoryState, "branch \(name) has no commits yet: commit the files to fix first")
        }
        let toolVersions = [linter.name: try await linter.version()]
        let byFile = try await linter.lintGrouped(paths: paths, root: repository.workdir)
        let files = byFile.keys.sorted()
        let entries = try await BlockingIO.run { try repository.entries(at: files, in: base) }
        let dirty = files.isEmpty ? [] : try await BlockingIO.run { try repository.uncommittedPaths() }
        let configurationHash = configuration.resultHash
        var jobs: [FileJob] = []
        var skipped: [FileOutcome] = []
        for path in files {
            let diagnostics = byFile[path] ?? []
            guard !path.hasPrefix("/"), let entry = entries[path] else {
                skipped.append(.skipped(path, "not tracked by git: commit the file to let stomper fix it",
                                        diagnostics: diagnostics.count))
                continue
            }
            guard entry.mode == .regular || entry.mode == .executable else {
                skipped.append(.skipped(path, "not a regular file", diagnostics: diagnostics.count))
                continue
            }
            guard !dirty.contains(path) else {
                skipped.append(.skipped(path, "uncommitted changes", diagnostics: diagnostics.count))
                continue
            }
            let key = IdempotencyKey(path: path, baseBlob: entry.id, diagnostics: diagnostics, agent: agent.identity,
                                     toolVersions: toolVersions, configurationHash: configurationHash)
            jobs.append(FileJob(path: path, baseBlob: entry.id, diagnostics: diagnostics, key: key))
        }
        return FixPlan(runID: FixPlan.newRunID(), branch: branch, base: base, jobs: jobs, skipped: skipped,
                       toolVersions: toolVersions)
    }

    // MARK: Running

    /// Runs every job of `plan` and folds the outcomes into a summary. With `dryRun`, fixes are
    /// verified but not committed, and each outcome carries its diff.
    public func run(_ plan: FixPlan, dryRun: Bool, onEvent: @escaping @Sendable (PipelineEvent) -> Void = { _ in })
        async throws -> RunSummary
    {
        var summary = RunSummary(plan.skipped)
        guard !plan.jobs.isEmpty else { return summary }
        let width = max(1, min(configuration.maxParallelFiles, plan.jobs.count))
        let pool = WorktreePool(repository: repository, capacity: width)
        let stale = try await pool.removeStaleWorktrees()
        if !stale.isEmpty { logger.info("removed worktrees left by an earlier run", metadata: ["worktrees": "\(stale)"]) }
        let context = JobContext(
            plan: plan, dryRun: dryRun, pool: pool,
            writer: BranchWriter(repository: repository, branch: plan.branch),
            gitDirectory: GitDirectoryGuard(gitDirectory: repository.commonDir),
            scratch: repository.commonDir + "/stomper/tmp/" + plan.runID)
        await withTaskGroup(of: FileOutcome.self) { group in
            var pending = plan.jobs.makeIterator()
            for _ in 0..<width {
                guard let job = pending.next() else { break }
                group.addTask { await self.process(job, context, onEvent: onEvent) }
            }
            while let outcome = await group.next() {
                summary.add(outcome)
                onEvent(.finished(outcome))
                if !Task.isCancelled, let job = pending.next() {
                    group.addTask { await self.process(job, context, onEvent: onEvent) }
                }
            }
        }
        // Jobs never started because the run was cancelled.
        for job in plan.jobs where summary.outcomes[job.path] == nil {
            summary.add(FileOutcome(path: job.path, status: .skipped, reason: "interrupted before it started", key: job.key,
                                    diagnosticsBefore: job.diagnostics.count))
        }
        await pool.close()
        try? FileManager.default.removeItem(atPath: context.scratch)
        return summary
    }

    struct JobContext: Sendable {
        var plan: FixPlan
        var dryRun: Bool
        var pool: WorktreePool
        var writer: BranchWriter
        var gitDirectory: GitDirectoryGuard
        var scratch: String
    }

    /// A fix that passed verification and scope checks, ready to land.
    struct VerifiedFix: Sendable {
        var patch: Patch
        var delta: DiagnosticDelta
        var diff: String
    }

    /// What the worktree phase of a job produced.
    enum WorktreeResult: Sendable {
        case verified(VerifiedFix, Tally)
        case notFixed(FileOutcome.Status, reason: String, delta: DiagnosticDelta?, changed: Bool, Tally)
    }

    struct Tally: Sendable {
        var attempts = 0
        var agentCalls = 0
        var agentTime: Duration = .zero
    }

    private func process(_ job: FileJob, _ context: JobContext, onEvent: @Sendable (PipelineEvent) -> Void) async -> FileOutcome {
        onEvent(.started(path: job.path))
        let start = ContinuousClock.now
        var outcome = FileOutcome(path: job.path, status: .failed, key: job.key, diagnosticsBefore: job.diagnostics.count)
        do {
            let result = try await context.pool.withWorktree(at: context.plan.base) { worktree in
                try await self.fixInWorktree(job, worktree, context)
            }
            switch result {
            case .notFixed(let status, let reason, let delta, let changed, let tally):
                outcome.status = status
                outcome.reason = reason
                outcome.remaining = delta?.remaining ?? job.diagnostics
                outcome.introduced = delta?.introduced ?? []
                outcome.fixed = [:]
                outcome.changed = changed
                outcome.record(tally)
            case .verified(let fix, let tally):
                outcome.record(tally)
                outcome.changed = true
                outcome.fixed = fix.delta.fixed
                outcome.remaining = fix.delta.remaining
                try await land(fix, job, context, into: &outcome)
            }
        } catch {
            outcome.status = .failed
            outcome.reason = "\(error)"
        }
        if Task.isCancelled && outcome.status == .failed {
            // Stopped from outside (Ctrl-C): the job's own result says nothing about the file.
            outcome.status = .skipped
            outcome.reason = "interrupted before the fix was verified"
        }
        outcome.totalSeconds = (ContinuousClock.now - start).seconds
        return outcome
    }

    private func land(_ fix: VerifiedFix, _ job: FileJob, _ context: JobContext, into outcome: inout FileOutcome) async throws {
        let partial = !fix.delta.isComplete
        if context.dryRun {
            outcome.status = .wouldFix
            outcome.diff = fix.diff
            return
        }
        let message = CommitMessage.make(tool: linter.name, path: job.path, fixed: fix.delta.fixed,
                                         runID: context.plan.runID, key: job.key)
        let writer = context.writer
        let patch = fix.patch
        do {
            let commit = try await resourceGuard.withResources(
                patch.paths.map(ResourceDescriptor.file), mode: configuration.interactive ? .interactive : .batch
            ) { _ in
                try await writer.land(patch, message: message, author: nil)
            }
            outcome.status = partial ? .partiallyFixed : .fixed
            outcome.commit = commit
            if partial { outcome.reason = "\(plural(fix.delta.remaining.count, "diagnostic")) remain" }
        } catch let error as GitError where error.code == .uncommittedChanges {
            outcome.status = .skipped
            outcome.reason = "uncommitted changes"
            outcome.fixed = [:]
        } catch {
            outcome.status = .failed
            outcome.reason = "verified fix could not be committed: \(error)"
            outcome.fixed = [:]
        }
    }

    private func fixInWorktree(_ job: FileJob, _ worktree: Worktree, _ context: JobContext) async throws -> WorktreeResult {
        var tally = Tally()
        var feedback: AttemptFeedback?
        var lastDelta: DiagnosticDelta?
        var changed = false
        let dotGit = WorktreeLink(worktree: worktree.path)
        let scope = PatchScope(target: job.path, extraAllowed: configuration.allowedPaths)
        for attempt in 1...max(1, configuration.maxAttempts) {
            tally.attempts = attempt
            let request = FixRequest(worktree: worktree.path, path: job.path, diagnostics: job.diagnostics, attempt: attempt,
                                     feedback: feedback, timeout: .seconds(configuration.agentTimeoutSeconds),
                                     scratchDirectory: context.scratch)
            let agentStart = Date()
            let agentOutcome = try await agent.fix(request)
            let agentEnd = Date()
            tally.agentCalls += agentOutcome.calls
            tally.agentTime += agentOutcome.duration

            // Safety first, whatever the agent says about itself.
            let touched = context.gitDirectory.incidents(duringAgentRun: agentStart, agentEnd) + dotGit.restoreIfChanged()
            if !touched.isEmpty {
                return .notFixed(.failed, reason: "agent wrote under .git (\(touched.joined(separator: ", "))); restored, nothing committed",
                                 delta: nil, changed: true, tally)
            }
            let head = try await BlockingIO.run { try worktree.headCommit() }
            if head != worktree.base {
                return .notFixed(.failed, reason: "agent made a commit in its worktree; discarded, nothing committed",
                                 delta: nil, changed: true, tally)
            }
            if let reason = agentOutcome.failureReason {
                if attempt < configuration.maxAttempts {
                    feedback = AttemptFeedback(remaining: lastDelta?.remaining ?? job.diagnostics, notes: [reason])
                    continue
                }
                return .notFixed(.failed, reason: reason, delta: lastDelta, changed: changed, tally)
            }
            let patch = try await BlockingIO.run { try worktree.changes() }
            let violations = scope.violations(of: patch)
            if !violations.isEmpty {
                let reason = "patch rejected: " + violations.map(\.description).joined(separator: "; ")
                return .notFixed(.failed, reason: reason, delta: nil, changed: true, tally)
            }
            guard !patch.isEmpty else {
                feedback = AttemptFeedback(remaining: job.diagnostics, notes: ["the previous attempt changed nothing"])
                if attempt < configuration.maxAttempts { continue }
                return .notFixed(.failed, reason: "agent made no change; \(plural(job.diagnostics.count, "diagnostic")) remain",
                                 delta: nil, changed: false, tally)
            }
            changed = true
            let after = try await linter.lint(paths: [job.path], root: worktree.path).filter { $0.path == job.path }
            let delta = DiagnosticDelta(targets: job.diagnostics, baseline: job.diagnostics, after: after)
            lastDelta = delta
            if delta.isComplete || (configuration.landPartial && delta.isImprovement) {
                let diff = try await BlockingIO.run { try worktree.unifiedDiff(paths: patch.paths) }
                return .verified(VerifiedFix(patch: patch, delta: delta, diff: diff), tally)
            }
            feedback = AttemptFeedback(remaining: delta.remaining, introduced: delta.introduced)
        }
        return .notFixed(.failed, reason: Self.verificationFailure(lastDelta), delta: lastDelta, changed: changed, tally)
    }

    static func verificationFailure(_ delta: DiagnosticDelta?) -> String {
        guard let delta else { return "not fixed" }
        var parts: [String] = []
        if !delta.remaining.isEmpty {
            let codes = Set(delta.remaining.map(\.code)).sorted().joined(separator: ", ")
            parts.append("\(plural(delta.remaining.count, "diagnostic")) remain (\(codes))")
        }
        if !delta.introduced.isEmpty {
            let codes = Set(delta.introduced.map(\.code)).sorted().joined(separator: ", ")
            parts.append("the fix introduced \(plural(delta.introduced.count, "new diagnostic")) (\(codes))")
        }
        return parts.isEmpty ? "not fixed" : parts.joined(separator: "; ")
    }
}

extension FileOutcome {
    mutating func record(_ tally: Pipeline.Tally) {
        attempts = tally.attempts
        agentCalls = tally.agentCalls
        agentSeconds = tally.agentTime.seconds
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The `.git` file at the root of a linked worktree, which points git at the worktree's git
/// directory. An agent that replaces or edits it is writing under `.git`.
struct WorktreeLink {
    let path: String
    let original: Data?

    init(worktree: String) {
        path = worktree + "/.git"
        original = FileManager.default.contents(atPath: path)
    }

    /// Puts the original back if it changed; returns `[".git"]` if it did.
    func restoreIfChanged() -> [String] {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue, FileManager.default.contents(atPath: path) == original { return [] }
        try? FileManager.default.removeItem(atPath: path)
        if let original { try? original.write(to: URL(fileURLWithPath: path)) }
        return [".git"]
    }
}

/// `1 diagnostic`, `2 diagnostics`.
public func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
