import ArgumentParser
import Foundation
import StomperAgents
import StomperCore
import StomperQuality

struct Fix: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fix files with lint errors: one verified commit per file on the current branch.",
        discussion: """
            With --branch NAME (fix.branch), the commits go onto branch NAME instead, built from \
            commit objects only: HEAD, the index and the working tree are never touched, so it works \
            on a detached HEAD (a CI checkout) and beside uncommitted edits. NAME is created at HEAD \
            by the first fix that lands; an existing NAME must contain HEAD and is extended. In CI, \
            a HEAD that is stomper's own commit (Stomper-Run trailer) makes fix do nothing, unless \
            --allow-own-head.

            Examples:
              stomper fix --parallel 4
              stomper fix src/ --dry-run
              stomper fix --agent command   (with agent.command set in stomper.toml)
              stomper fix --branch stomper/fixes   (in CI: then push stomper/fixes)
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files or folders to fix (default: the whole repository).")
    var paths: [String] = []

    @Option(name: [.short, .long], help: "Files worked on at once (fix.parallel, default 4).")
    var parallel: Int?

    @Flag(
        inversion: .prefixedNo,
        help: "Leave the worktrees in .git/stomper/worktrees for the next run, which then needs no checkout (fix.keep_worktrees, default off).")
    var keepWorktrees: Bool?

    @Option(help: "The fixer: autofix, command, claude, codex, aider, cursor-agent, gemini, opencode or chat (fix.agent).")
    var agent: String?

    @Option(help: "A fallback chain, comma-separated, e.g. autofix,claude: each agent gets only what the previous left (agent.chain).")
    var chain: String?

    @Option(help: "The model a preset or the chat agent uses (agent.model).")
    var model: String?

    @Option(name: .customLong("pattern"), help: "Only files matching this glob (repeatable; ** crosses folders).")
    var patterns: [String] = []

    @Option(name: .customLong("exclude"), help: "Leave out files matching this glob (repeatable).")
    var excludes: [String] = []

    @Flag(help: "Only files with uncommitted changes (they are reported, not touched: commit them first).")
    var gitChanged = false

    @Flag(help: "Only files staged in the index (reported, not touched, like --git-changed).")
    var gitStaged = false

    @Option(name: .customLong("git-diff"), help: "Only files changed since this revision (e.g. origin/main).")
    var gitDiff: String?

    @Option(name: .customLong("error-type"), help: "Only these codes or code prefixes, comma-separated (F401,E7,arg-type).")
    var errorTypes: [String] = []

    @Option(name: .customLong("ignore"), help: "Leave out these codes or code prefixes, comma-separated.")
    var ignoredCodes: [String] = []

    @Option(help: "Fix at most this many files (the first in path order).")
    var maxFiles: Int?

    @Option(help: "Fix files until this many diagnostics are taken on (whole files only).")
    var maxErrors: Int?

    @Option(help: "Stop starting agent attempts after this many in the run (agent.max_calls).")
    var maxAgentCalls: Int?

    @Option(help: "Start no agent attempt after this long: seconds, or 90s, 15m, 2h (agent.time_budget_sec).")
    var timeBudget: String?

    @Flag(help: "Switch off the anti-suppression gate for this run (verify.gate).")
    var noGate = false

    @Option(help: "Attempts per file (fix.max_attempts).")
    var maxAttempts: Int?

    @Option(help: "Longest one agent attempt may run, in seconds (agent.timeout_sec).")
    var timeout: Int?

    @Flag(help: "Verify fixes and show their diffs, commit nothing.")
    var dryRun = false

    @Option(help: "Commit the fixes onto this branch only (created at HEAD if missing); HEAD, index and working tree untouched (fix.branch).")
    var branch: String?

    @Flag(help: "In CI, fix even when HEAD is stomper's own commit (by default such a run does nothing).")
    var allowOwnHead = false

    @Flag(help: "Print one JSON report at the end instead of text.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Write SARIF 2.1.0 of the diagnostics left after the run to this file, with verified fixes not committed (--dry-run) as fixes.",
            valueName: "file"))
    var sarif: String?

    @Option(
        name: .customLong("codequality"),
        help: ArgumentHelp(
            "Write a GitLab Code Quality report of the diagnostics left after the run to this file.",
            valueName: "file"))
    var codeQuality: String?

    @Option(
        help: "Also write each commit the run lands as a git format-patch file, plus manifest.json, into this folder, for `git am` in another job.")
    var patches: String?

    @Option(
        help: ArgumentHelp(
            "Fix only shard I of N of the plan (1-based; every shard plans the same commit and takes a disjoint, cost-balanced part). "
                + "Read from CI_NODE_INDEX/CI_NODE_TOTAL (GitLab), BUILDKITE_PARALLEL_JOB/_COUNT, JOB_COMPLETION_INDEX with STOMPER_SHARD_TOTAL "
                + "(Kubernetes) or STOMPER_SHARD when not given.",
            valueName: "I/N"))
    var shard: String?

    @Option(
        help: ArgumentHelp(
            "Write the verified fixes as a git bundle, manifest.json and the ledger's learning into this folder for `stomper land`; "
                + "implies --branch stomper/shard-I-of-N (HEAD untouched) and no docs regeneration.",
            valueName: "dir"))
    var bundle: String?

    @Flag(help: "Do not reuse verified fixes from earlier runs (they are still stored).")
    var noCache = false

    @Flag(help: "Mark an unfinished earlier run as aborted and start a new one.")
    var abandon = false

    var flags: [String: SettingValue] {
        var flags: [String: SettingValue] = [:]
        if let parallel { flags["fix.parallel"] = .int(parallel) }
        if let keepWorktrees { flags["fix.keep_worktrees"] = .bool(keepWorktrees) }
        if let branch { flags["fix.branch"] = .string(branch) }
        if let agent { flags["fix.agent"] = .string(agent) }
        if let maxAttempts { flags["fix.max_attempts"] = .int(maxAttempts) }
        if let timeout { flags["agent.timeout_sec"] = .int(timeout) }
        if let chain { flags["agent.chain"] = .strings(chain.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        if let model { flags["agent.model"] = .string(model) }
        if let maxAgentCalls { flags["agent.max_calls"] = .int(maxAgentCalls) }
        if noGate { flags["verify.gate"] = .bool(false) }
        return flags
    }

    /// Seconds from `90`, `90s`, `15m` or `2h`.
    static func seconds(_ text: String) throws -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit = 1
        if let last = digits.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0 else {
            throw CLIError.badFlag(flag: "--time-budget", value: text, expected: "is not a duration: use seconds (600) or 90s, 15m, 2h")
        }
        return value * unit
    }

    /// What the selection flags describe; git-based ones ask the repository.
    func selection(_ workspace: Workspace) throws -> FileSelection {
        func codes(_ values: [String]) -> [String] {
            values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let maxFiles, maxFiles < 1 { throw CLIError.badFlag(flag: "--max-files", value: String(maxFiles), expected: "must be at least 1") }
        if let maxErrors, maxErrors < 1 { throw CLIError.badFlag(flag: "--max-errors", value: String(maxErrors), expected: "must be at least 1") }
        let only = try workspace.gitSelection(changed: gitChanged, staged: gitStaged, since: gitDiff)
        return FileSelection(
            patterns: patterns, excludes: excludes, onlyPaths: only, errorTypes: codes(errorTypes),
            ignore: codes(ignoredCodes), maxFiles: maxFiles, maxErrors: maxErrors)
    }

    func run() async throws {
        let workspace: Workspace
        let prepared: PreparedRun
        let patchSeries: PatchSeries?
        var shardSpec: ShardSpec?
        var bundleFolder: ShardBundle?
        var bundleRequest: BundleRequest?
        do {
            var flags = self.flags
            if let timeBudget { flags["agent.time_budget_sec"] = .int(try Self.seconds(timeBudget)) }
            patchSeries = try PatchExport.prepare(patches, dryRun: dryRun, from: FileManager.default.currentDirectoryPath)
            shardSpec = try shard.map { try ShardSpec(parsing: $0) } ?? ShardSpec.fromEnvironment(ProcessInfo.processInfo.environment)
            if let bundle {
                if dryRun {
                    throw CLIError.conflictingFlags(
                        flag: "--bundle", other: "--dry-run",
                        why: "--bundle writes the fixes a run lands, and a dry run lands none: drop --dry-run")
                }
                // The shard's fixes go onto a branch of their own; the lander regenerates the docs.
                if branch == nil { flags["fix.branch"] = .string("stomper/" + (shardSpec?.branchSuffix ?? "bundle")) }
                flags["docs.enabled"] = .bool(false)
                let folder = ShardBundle(directory: global.path(bundle))
                try folder.prepare()
                bundleFolder = folder
            }
            workspace = try global.openWorkspace(flags: flags)
            if let reason = try RunGate.ownHead(
                workspace.repository, ci: CIEnvironment(environment: ProcessInfo.processInfo.environment),
                allowOwnHead: allowOwnHead)
            {
                // stdout carries only JSON with --json: the reason goes to stderr then.
                if json { Terminal.err(reason) } else { Terminal.out(reason) }
                let problems = BranchMode.reportGuarded(
                    reason: reason, json: json, branch: workspace.configuration.fixBranch, root: workspace.root,
                    reports: ReportFiles(sarif: sarif.map(global.path), codeQuality: codeQuality.map(global.path)))
                for problem in problems { Terminal.err("stomper: error: \(problem)") }
                if !problems.isEmpty { throw ExitCode(2) }
                return
            }
            let request = RunRequest(
                paths: try workspace.repositoryPaths(paths, from: global.startDirectory),
                selection: try selection(workspace), dryRun: dryRun, abandon: abandon, shard: shardSpec)
            if let bundleFolder {
                bundleRequest = try BundleRequest.atHead(directory: bundleFolder.directory, shard: shardSpec, repository: workspace.repository)
            }
            prepared = try await workspace.prepareFix(request)
            for run in prepared.abandonedRuns { Terminal.warn("run \(run) abandoned") }
        } catch {
            throw Failure.exit(error, json: json)
        }
        let plan = prepared.plan
        if !json {
            let needing = plan.skipped.filter { $0.status == .needsAgent }.count
            var notes: [String] = []
            if needing > 0 { notes.append("\(needing) need\(needing == 1 ? "s" : "") an agent") }
            if plan.skipped.count > needing { notes.append("\(plan.skipped.count - needing) skipped") }
            if !plan.excluded.isEmpty { notes.append("\(plan.excluded.count) left out by the selection") }
            if let shardSpec { notes.append("shard \(shardSpec.label)") }
            Terminal.out(
                "stomper: " + BranchMode.headline(plan)
                    + (notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")")
                    + "; \(prepared.pipeline.configuration.maxParallelFiles) at a time, agent \(prepared.pipeline.agentIdentity.description)"
                    + (dryRun ? ", dry run" : "") + " (run \(plan.runID))")
        }
        var driver = RunDriver(json: json, dryRun: dryRun, useCache: !noCache, patches: patchSeries)
        driver.bundle = bundleRequest
        driver.color = global.color
        driver.reports = ReportFiles(sarif: sarif.map(global.path), codeQuality: codeQuality.map(global.path))
        try await driver.drive(prepared)
    }
}

/// The `--json` report of a fix run.
struct RunReport: Encodable {
    var runID: String
    var branch: String
    /// Where fixes land: `checkout` (the checked-out branch, its files and index), `branch` (only
    /// the ref of `branch`, `fix --branch`), `none` (a dry run of a detached HEAD).
    var landing: String
    var base: String
    var dryRun: Bool
    var agent: String
    var toolVersions: [String: String]
    var elapsedSeconds: Double
    var interrupted: Bool
    var summary: RunSummary
    /// Docs regenerated after the run (nil when docgen did not run).
    var docs: DocgenOutput?
    /// The suite run once at the end (`verify.test_scope = "final"`); nil otherwise.
    var finalTests: FinalTestsReport?
    /// The run's HTML report (`.git/stomper/reports/RUN.html`), nil when it could not be written.
    var report: String?
}

extension Duration {
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

enum SummaryText {
    /// The closing line: files by how they ended, diagnostics fixed and left, what needs an agent.
    static func make(_ summary: RunSummary, runID: String, elapsed: Duration, dryRun: Bool) -> String {
        var parts = [dryRun ? "\(summary.count(.wouldFix)) would be fixed" : "\(summary.count(.fixed)) fixed"]
        if summary.count(.partiallyFixed) > 0 { parts.append("\(summary.count(.partiallyFixed)) partially fixed") }
        if summary.count(.needsAgent) > 0 { parts.append("\(summary.count(.needsAgent)) need\(summary.count(.needsAgent) == 1 ? "s" : "") an agent") }
        let refusals = summary.refusals
        let refused = refusals.filter { $0.kind != nil }
        if !refused.isEmpty {
            let total = refused.reduce(0) { $0 + $1.count }
            let top = refused.prefix(3).map { "\($0.kind!.label) \($0.count)" }.joined(separator: ", ")
            parts.append("\(total) refused (\(top))")
        }
        if let errors = refusals.first(where: { $0.kind == nil }) { parts.append("\(errors.count) failed") }
        if summary.skippedNotDeferred > 0 { parts.append("\(summary.skippedNotDeferred) skipped") }
        if !summary.leftToOthers.isEmpty { parts.append("\(summary.leftToOthers.count) left to another writer") }
        if !summary.deferred.isEmpty { parts.append("\(summary.deferred.count) not started (left for resume)") }
        let codes = summary.fixedByCode.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        var text = "stomper: \(plural(summary.total, "file")): " + parts.joined(separator: ", ")
        text += "; \(plural(summary.diagnosticsFixed, "diagnostic")) fixed" + (codes.isEmpty ? "" : " (\(codes))")
        if summary.diagnosticsNeedingAgent > 0 {
            text +=
                "; \(plural(summary.diagnosticsNeedingAgent, "diagnostic")) in \(plural(summary.filesNeedingAgent, "file")) "
                + "need\(summary.diagnosticsNeedingAgent == 1 ? "s" : "") an AI agent (--chain autofix,claude or --agent chat)"
        }
        text += "; \(plural(summary.agentCalls, "agent call"))"
        text += String(format: "; %.1fs (run %@)", elapsed.secondsValue, runID)
        return text
    }
}
