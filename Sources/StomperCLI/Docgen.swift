import ArgumentParser
import Foundation
import StomperCore
import StomperDocs
import StomperGit
import StomperLedger
import StomperProcess
import StomperQuality

/// `stomper docgen`: regenerate docs on demand, and `stomper docgen status`.
struct Docgen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the docs of source files (SHA-256 gated, committed in one docs commit).",
        subcommands: [Generate.self, DocgenStatus.self], defaultSubcommand: Generate.self)

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Regenerate the docs of PATHS (files, or folders: every tracked file in them; default: everything).",
            discussion: """
                Docs describe the files as committed on the current branch. A doc whose first line names \
                the source's SHA-256 is current and left alone. New docs are written atomically and \
                committed together, under the repository-wide IDEMP_DOCS lease.
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Files or folders to document (default: the whole repository).") var paths: [String] = []
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let report: DocgenReport
            do {
                let session = try Session.open(global, flags: [:])
                let ledger = try session.openLedger()
                let pipeline = try await session.makePipeline(ledger: ledger)
                guard case .branch(let branch, _) = try session.repository.head() else {
                    throw ConfigError("HEAD is not on a branch: check out the branch the docs should be committed to")
                }
                // Like `stomper fix`: no paths means the whole repository.
                let selection = try DocgenRun.expand(paths.isEmpty ? ["."] : try session.repositoryPaths(paths, from: global.startDirectory),
                                                     repository: session.repository, branch: branch)
                let coordinator = try DocgenRun.coordinator(for: pipeline, branch: branch)
                report = try await coordinator.regenerate(selection, runID: nil)
                try await DocgenRun.record(report, ledger: ledger)
                try? await ledger.flushWriteStatistics(runID: nil)
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(DocgenRun.Output(results: report.results, commit: report.commit?.hex))
            } else {
                for result in report.results where result.status == .error || result.status == .skipped {
                    Terminal.out("\(result.path): \(result.status.rawValue): \(result.reason ?? "")")
                }
                Terminal.out(DocgenRun.summary(report))
            }
            if report.count(.error) > 0 { throw ExitCode(1) }
        }
    }

    struct DocgenStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show recent docgen results from the ledger.")

        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() async throws {
            let results: [DocgenResult]
            do {
                let session = try Session.open(global, flags: [:])
                let ledger = try session.openLedger()
                results = try await DocgenRun.history(ledger: ledger, limit: session.configuration.docs.historySize)
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(DocgenRun.Output(results: results, commit: nil))
                return
            }
            guard !results.isEmpty else {
                Terminal.out("stomper: docgen has not run in this repository yet")
                return
            }
            var table = [["SOURCE", "STATUS", "DOC", "SHA256", "MS", "RUN"]]
            for result in results {
                table.append([result.path, result.status.rawValue, result.docPath, String((result.sourceHash ?? "-").prefix(12)),
                              String(Int(result.durationSeconds * 1000)), result.runID ?? "-"])
            }
            Terminal.out(TextTable.render(table))
        }
    }
}

/// Docgen as the CLI runs it: after a fix run, and on demand.
enum DocgenRun {
    struct Output: Encodable {
        var results: [DocgenResult]
        var commit: String?
    }

    /// A coordinator sharing the pipeline's lease guard, with lint status from its linter.
    /// With `branchOnly` (`fix --branch`), the docs go only onto the branch's ref and the lint
    /// status comes from the branch's content, not the working tree.
    static func coordinator(for pipeline: Pipeline, branch: String, branchOnly: Bool = false) throws -> DocgenCoordinator {
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
                let python = names.contains("ruff") || names.contains("mypy")
                let shell = names.contains("shellcheck")
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
                return Dictionary(uniqueKeysWithValues: linted.map { path in
                    let tools = Set((found[path] ?? []).map(\.tool))
                    let ran = path.hasSuffix(".sh") || path.hasSuffix(".bash") ? ["shellcheck"] : names.filter { $0 != "shellcheck" }.sorted()
                    return (path, LintStatus(diagnostics: found[path] ?? [], linters: tools.isEmpty ? ran : tools.sorted()))
                })
            })
    }

    /// The files among `sources` whose doc already exists on `branch`.
    static func documented(_ sources: [String], repository: GitRepository, branch: String, folder: String) throws -> [String] {
        guard let tip = try repository.branchTip(branch) else { return [] }
        let docs = Dictionary(sources.compactMap { source in (try? DocPath.for(source: source, folder: folder)).map { ($0, source) } },
                              uniquingKeysWith: { first, _ in first })
        let present = try repository.entries(at: Array(docs.keys), in: tip)
        return docs.filter { present[$0.key] != nil }.map(\.value).sorted()
    }

    /// Files, and every tracked file under folders, as committed on `branch`.
    static func expand(_ paths: [String], repository: GitRepository, branch: String) throws -> [String] {
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
    static func record(_ report: DocgenReport, ledger: Ledger) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var events: [EventRecord] = []
        for var result in report.results {
            result.reason = result.reason.map { Redactor.process.redact($0) }
            var data = try JSONSerialization.jsonObject(with: try encoder.encode(result)) as? [String: Any] ?? [:]
            data["commit"] = report.commit?.hex ?? NSNull()
            let text = String(decoding: try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]), as: UTF8.self)
            events.append(EventRecord(level: result.status == .error ? .warning : .info, runID: result.runID, job: result.path,
                                      type: "docgen.finished", step: "docs", data: text))
        }
        try await ledger.append(events)
    }

    static func history(ledger: Ledger, limit: Int) async throws -> [DocgenResult] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try await ledger.events(type: "docgen.finished", last: limit).compactMap {
            try? decoder.decode(DocgenResult.self, from: Data($0.data.utf8))
        }
    }

    static func summary(_ report: DocgenReport) -> String {
        var text = "stomper: docs: \(report.count(.generated)) generated, \(report.count(.noop)) unchanged, "
            + "\(report.count(.skipped)) skipped, \(report.count(.error)) failed"
        if let commit = report.commit { text += " (commit \(commit.hex.prefix(12)))" }
        return text
    }
}
