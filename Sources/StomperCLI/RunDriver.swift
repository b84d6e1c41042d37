import ArgumentParser
import Foundation
import StomperAgents
import StomperCore
import StomperDocs
import StomperGit
import StomperLedger
import StomperReport
import Synchronization

/// Runs a plan with progress display, Ctrl-C handling and the final report; shared by `fix` and
/// `resume`.
struct RunDriver: Sendable {
    var json: Bool
    var dryRun: Bool
    var useCache: Bool
    /// Report files asked for (`fix --sarif`, `--codequality`).
    var reports = ReportFiles()
    /// `fix --patches DIR`: where the landed commits are exported after the run.
    var patches: PatchSeries? = nil
    /// `fix --bundle DIR` (or a resumed shard's): the shard bundle written after the run.
    var bundle: BundleRequest? = nil
    /// `--color`: whether result lines colour their status.
    var color: ColorMode = .auto

    func drive(_ prepared: PreparedRun) async throws {
        let pipeline = prepared.pipeline, plan = prepared.plan, ledger = prepared.ledger
        let configuration = pipeline.configuration
        let clock = ContinuousClock.now
        // In CI: no live status line, plain lines (GitHub Actions folds each file's details).
        let ciReporting = CIReporting(settings: configuration.ci)
        let environment = ProcessInfo.processInfo.environment
        // A dumb terminal cannot clear a line: it gets the plain lines.
        let live = !json && Terminal.stderrIsTerminal && !ciReporting.ci.isCI && environment["TERM"] != "dumb"
        let display = ProgressDisplay(
            total: plan.jobs.count, live: live, quiet: json,
            colour: !json && color.enabled(live: live && Terminal.stdoutIsTerminal, environment: environment),
            print: { ciReporting.printProgress($0) })
        for outcome in plan.skipped { display.report(outcome) }
        // Listening before the run is in the ledger: a client that reads the run there (the MCP
        // server's `cancel`) and interrupts at once must find the graceful handler, not SIGINT's
        // default, which would kill the process with the run left `running` and no report.
        let handle = WorkHandle()
        let interrupts = Interrupts { handle.cancel() }
        let recorder: RunRecorder
        do {
            recorder = try await prepared.begin()
            Failpoint.hit("run.begun")
            try await bundle?.record(recorder)
        } catch {
            throw Failure.exit(error, json: json)
        }
        let dryRun = self.dryRun
        let useCache = self.useCache
        let docsReport = DocsBox()
        let finalTests = FinalTestsBox()
        let work = Task {
            try await withThrowingTaskGroup(of: RunSummary?.self) { group in
                group.addTask {
                    try await pipeline.run(
                        plan, dryRun: dryRun, recorder: recorder, useCache: useCache,
                        onEvent: { event in display.handle(event) },
                        beforeCompletion: { _ in
                            // Before the docs: they describe the files as the reverts leave them.
                            let tests = await self.runFinalTests(pipeline, plan: plan, ledger: ledger)
                            finalTests.value.withLock { $0 = tests }
                            let report = await self.regenerateDocs(pipeline, plan: plan, ledger: ledger)
                            docsReport.value.withLock { $0 = report }
                        })
                }
                if display.live {
                    // Keeps the elapsed time moving while agents work.
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .milliseconds(500))
                            display.tick()
                        }
                        return nil
                    }
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let summary = result { return summary }
                }
                throw CancellationError()
            }
        }
        handle.set(work)
        var summary: RunSummary
        do {
            summary = try await work.value
        } catch {
            display.finish()
            try? await ledger.setRunStatus(plan.runID, .failed)
            throw Failure.exit(error, json: json)
        }
        display.finish()
        let docs = docsReport.value.withLock { $0 }
        let (tests, testsFailed) = finalTests.value.withLock { $0 }
        if let tests { summary = summary.reverting(tests) }
        try? await ledger.flushWriteStatistics(runID: plan.runID)
        let elapsed = ContinuousClock.now - clock
        let reportPath = await writeReport(plan.runID, ledger: ledger, repository: pipeline.repository)
        if json {
            Terminal.json(
                RunReport(
                    runID: plan.runID, branch: plan.branch, landing: plan.landing.name, base: plan.base.hex, dryRun: dryRun,
                    agent: pipeline.agentIdentity.description, toolVersions: plan.toolVersions,
                    elapsedSeconds: elapsed.secondsValue, interrupted: interrupts.interrupted, summary: summary,
                    docs: docs.map { DocgenOutput(results: $0.results, commit: $0.commit?.hex) },
                    finalTests: tests, report: reportPath))
        } else {
            if let docs, !docs.results.isEmpty { Terminal.out(DocgenOutput.summary(docs)) }
            if let tests {
                Terminal.out("stomper: " + tests.summary)
                for culprit in tests.culprits {
                    Terminal.out(
                        "reverted        \(culprit.path): its fix \(culprit.fix.prefix(12)) broke the tests"
                            + (culprit.revert.map { " (revert \($0.prefix(12)))" } ?? ": \(culprit.reason ?? "")"))
                }
            }
            if dryRun {
                for outcome in summary.files(.wouldFix) { if let diff = outcome.diff { Terminal.out(diff) } }
            }
            Terminal.out(SummaryText.make(summary, runID: plan.runID, elapsed: elapsed, dryRun: dryRun))
            if let reportPath { Terminal.out("stomper: report: \(reportPath)") }
        }
        let facts = RunFacts(
            plan: plan, summary: summary, dryRun: dryRun, elapsedSeconds: elapsed.secondsValue,
            agent: pipeline.agentIdentity.description, interrupted: interrupts.interrupted)
        let reportProblems = ciReporting.finish(facts, json: json, files: reports, root: pipeline.repository.workdir)
        for problem in reportProblems { Terminal.err("stomper: error: \(problem)") }
        if let patches {
            do {
                try await PatchExport.write(patches, summary: summary, docs: docs, plan: plan, repository: pipeline.repository, json: json)
            } catch {
                throw Failure.exit(error, json: json)
            }
        }
        if let bundle {
            do {
                let manifest = try await bundle.write(runID: plan.runID, ledger: ledger, repository: pipeline.repository)
                let line =
                    "stomper: wrote \(Land.fixes(manifest.fixes.count))\(manifest.shard.map { " of shard \($0)" } ?? "") "
                    + "to \(bundle.directory) (\(ShardBundle.manifestName)\(manifest.bundle == nil ? "" : ", " + ShardBundle.bundleName)"
                    + "\(manifest.ledger == nil ? "" : ", " + ShardBundle.ledgerName)): `stomper land` it"
                if json { Terminal.err(line) } else { Terminal.out(line) }
            } catch {
                throw Failure.exit(error, json: json)
            }
        }
        if let reason = summary.deferred.first?.reason {
            Terminal.err("stomper: \(summary.deferred.count) files left for `stomper resume`: \(reason)")
        }
        if interrupts.interrupted {
            Terminal.err("stomper: run \(plan.runID) was interrupted; finish it with `stomper resume`")
            throw ExitCode(130)
        }
        if !reportProblems.isEmpty { throw ExitCode(2) }
        if !summary.allFixed { throw ExitCode(1) }
        // Fixes were reverted, or the branch's suite fails at the end: not a clean run.
        if testsFailed || (tests.map { $0.verdict != .passed } ?? false) { throw ExitCode(1) }
    }
}

/// The run's task, for an interrupt that may come before the task exists: it is then cancelled
/// as soon as it is set.
final class WorkHandle: Sendable {
    private let state = Mutex<(task: Task<RunSummary, any Error>?, cancelled: Bool)>((nil, false))

    func set(_ task: Task<RunSummary, any Error>) {
        let cancelled = state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}

/// The final tests of a run, handed from the pipeline's completion hook to the report.
final class FinalTestsBox: Sendable {
    /// The report, and whether the tests could not be run at all.
    let value = Mutex<(FinalTestsReport?, Bool)>((nil, false))
}

/// The docgen report of a run, handed from the pipeline's completion hook to the report.
final class DocsBox: Sendable {
    let value = Mutex<DocgenReport?>(nil)
}

extension RunDriver {
    /// `verify.test_scope = "final"`: the suite at the tip, the culprits reverted
    /// (`FinalTests.afterRun`). A failure to run it is reported (and fails the run); the fixes stay.
    func runFinalTests(_ pipeline: Pipeline, plan: FixPlan, ledger: Ledger) async -> (FinalTestsReport?, Bool) {
        do {
            return (try await FinalTests.afterRun(pipeline, plan: plan, ledger: ledger, dryRun: dryRun), false)
        } catch {
            Terminal.warn("the final tests could not be run: \(error)")
            return (nil, true)
        }
    }

    /// Regenerates the docs of what the run landed (`DocgenRun.afterRun`). A docgen failure is
    /// reported but does not change the run's outcome: the fixes are in.
    func regenerateDocs(_ pipeline: Pipeline, plan: FixPlan, ledger: Ledger) async -> DocgenReport? {
        do {
            return try await DocgenRun.afterRun(pipeline, plan: plan, ledger: ledger, dryRun: dryRun)
        } catch {
            Terminal.warn("docs were not regenerated: \(error)")
            return nil
        }
    }
}
