import Foundation
public import StomperDocs
public import StomperGit
public import StomperLedger
import StomperProcess
import StomperQuality

/// Docgen as stomper runs it: after a fix run (`afterRun`), and on demand
/// (`Workspace.generateDocs`). Every docs commit shares the run's lease guard, and every result
/// is recorded in the ledger as a `docgen.finished` event, the history `docgen status` reads.
public enum DocgenRun {
    /// A coordinator sharing the pipeline's lease guard, with lint status from its linter.
    /// With `branchOnly` (`fix --branch`), the docs go only onto the branch's ref and the lint
    /// status comes from the branch's content, not the working tree.
    public static func coordinator(for pipeline: Pipeline, branch: String, branchOnly: Bool = false) throws -> DocgenCoordinator {
        let linter = pipeline.linter
        let root = pipeline.repository.workdir
        let repository = pipeline.repository
        return try DocgenCoordinator(
            repository: pipeline.repository, branch: branch, settings: pipeline.configuration.docs,
            resourceGuard: pipeline.resourceGuard, mode: pipeline.configuration.operationMode, branchOnly: branchOnly,
            lintStatus: { paths in
                // Sources some enabled linter checks: Python for ruff and mypy, shell scripts for
                // shellcheck. Each linter only reports the files it handles.
                let names = Set((linter as? LinterSet)?.linters.map(\.name) ?? [linter.name])
                let python = names.contains(LinterKind.ruff.rawValue) || names.contains(LinterKind.mypy.rawValue)
                let shell = names.contains(LinterKind.shellcheck.rawValue)
                let linted = paths.filter { path in
                    (python && (path.hasSuffix(".py") || path.hasSuffix(".pyi")))
                        || (shell && (path.hasSuffix(".sh") || path.hasSuffix(".bash")))
                }
                guard !linted.isEmpty else { return [:] }
                let found: [String: [Diagnostic]]?
                if branchOnly, let tip = try? repository.branchTip(branch) {
                    found = try? await pipeline.lintCommit(tip, paths: linted)
                } else {
                    found = try? await linter.lintGrouped(paths: linted, root: root)
                }
                guard let found else { return [:] }
                return Dictionary(
                    uniqueKeysWithValues: linted.map { path in
                        let tools = Set((found[path] ?? []).map(\.tool))
                        let ran =
                            path.hasSuffix(".sh") || path.hasSuffix(".bash")
                            ? [LinterKind.shellcheck.rawValue] : names.filter { $0 != LinterKind.shellcheck.rawValue }.sorted()
                        return (path, LintStatus(diagnostics: found[path] ?? [], linters: tools.isEmpty ? ran : tools.sorted()))
                    })
            })
    }

    /// The files among `sources` whose doc already exists on `branch`.
    public static func documented(_ sources: [String], repository: GitRepository, branch: String, folder: String) throws -> [String] {
        guard let tip = try repository.branchTip(branch) else { return [] }
        let docs = Dictionary(
            sources.compactMap { source in (try? DocPath.for(source: source, folder: folder)).map { ($0, source) } },
            uniquingKeysWith: { first, _ in first })
        let present = try repository.entries(at: Array(docs.keys), in: tip)
        return docs.filter { present[$0.key] != nil }.map(\.value).sorted()
    }

    /// Files, and every tracked file under folders, as committed on `branch`.
    public static func expand(_ paths: [String], repository: GitRepository, branch: String) throws -> [String] {
        var files: [String] = []
        for path in paths {
            let absolute = path == "." ? repository.workdir : repository.workdir + "/" + path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let enumerator = FileManager.default.enumerator(atPath: absolute)
            while let relative = enumerator?.nextObject() as? String {
                if relative == ".git" || relative.hasPrefix(".git/") { enumerator?.skipDescendants(); continue }
                files.append(path == "." ? relative : path + "/" + relative)
            }
        }
        guard let tip = try repository.branchTip(branch) else { return [] }
        let tracked = try repository.entries(at: files, in: tip)
        // Files named explicitly stay (docgen reports why it cannot document them); files found in
        // folders must be tracked regular files.
        let named = Set(paths)
        return files.filter { path in
            guard let entry = tracked[path] else { return named.contains(path) }
            return entry.mode == .regular || entry.mode == .executable
        }
    }

    /// One `docgen.finished` event per result: the durable history `docgen status` reads.
    public static func record(_ report: DocgenReport, ledger: Ledger) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var events: [EventRecord] = []
        for var result in report.results {
            result.reason = result.reason.map { Redactor.process.redact($0) }
            var data = try JSONSerialization.jsonObject(with: try encoder.encode(result)) as? [String: Any] ?? [:]
            data["commit"] = report.commit?.hex ?? NSNull()
            let text = String(decoding: try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]), as: UTF8.self)
            events.append(
                EventRecord(
                    level: result.status == .error ? .warning : .info, runID: result.runID, job: result.path,
                    type: "docgen.finished", step: "docs", data: text))
        }
        try await ledger.append(events)
    }

    public static func history(ledger: Ledger, limit: Int) async throws -> [DocgenResult] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try await ledger.events(type: "docgen.finished", last: limit).compactMap {
            try? decoder.decode(DocgenResult.self, from: Data($0.data.utf8))
        }
    }
}

extension DocgenRun {
    /// Regenerates the docs of every file `plan`'s run landed, by this process or before a
    /// resume (one docs commit), if `docs.enabled` and not a dry run; nil when there was nothing
    /// to do. Without `docs.generate_missing` only docs that already exist are kept fresh.
    public static func afterRun(_ pipeline: Pipeline, plan: FixPlan, ledger: Ledger, dryRun: Bool) async throws -> DocgenReport? {
        guard !dryRun, pipeline.configuration.docs.enabled else { return nil }
        var landed = try await ledger.jobs(runID: plan.runID).filter { $0.state.name == "landed" }.map(\.path)
        if !pipeline.configuration.docs.generateMissing {
            landed = try documented(
                landed, repository: pipeline.repository, branch: plan.branch,
                folder: pipeline.configuration.docs.folder)
        }
        guard !landed.isEmpty else { return nil }
        let report = try await coordinator(for: pipeline, branch: plan.branch, branchOnly: plan.landing == .branchOnly)
            .regenerate(landed, runID: plan.runID)
        try await record(report, ledger: ledger)
        return report
    }
}

extension Workspace {
    /// `stomper docgen`: regenerates the docs of `paths` (relative to the repository root; files,
    /// or folders meaning every tracked file in them; empty: the whole repository) as committed
    /// on the checked-out branch, in one docs commit, and records the results. Needs no agent.
    public func generateDocs(_ paths: [String], ledger: Ledger) async throws -> DocgenReport {
        let pipeline = try await makePipeline(ledger: ledger)
        guard case .branch(let branch, _) = try repository.head() else {
            throw CoreError(.notOnBranch, "HEAD is not on a branch: check out the branch the docs should be committed to")
        }
        let selection = try DocgenRun.expand(paths.isEmpty ? ["."] : paths, repository: repository, branch: branch)
        let report = try await DocgenRun.coordinator(for: pipeline, branch: branch).regenerate(selection, runID: nil)
        try await DocgenRun.record(report, ledger: ledger)
        try? await ledger.flushWriteStatistics(runID: nil)
        return report
    }

    /// The latest docgen results, newest last, at most `docs.history_size`.
    public func docgenHistory(ledger: Ledger) async throws -> [DocgenResult] {
        try await DocgenRun.history(ledger: ledger, limit: configuration.docs.historySize)
    }
}
