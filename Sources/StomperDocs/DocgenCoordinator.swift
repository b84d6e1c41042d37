import Foundation
public import StomperCoordination
public import StomperGit
import Synchronization

/// How docs are generated for a repository (`[docs]` in stomper.toml).
public struct DocgenSettings: Sendable, Hashable, Codable {
    public enum GeneratorKind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The built-in outline of top-level declarations (Python, Swift, shell).
        case outline
        /// An external command (an agent, a doc tool): `command`.
        case command
    }

    /// Regenerate docs for the files a `stomper fix` run changed, after the run.
    public var enabled: Bool = true
    /// After a fix run, also write docs for changed files that have none yet. Off by default: a
    /// run keeps existing docs fresh and never adds docs nobody asked for (`stomper docgen` does).
    public var generateMissing: Bool = false
    /// Where docs go, relative to the repository root.
    public var folder: String = DocPath.defaultFolder
    public var generator: GeneratorKind = .outline
    /// The command generator's argv; placeholders `{file}`, `{abs_file}`, `{workdir}`, `{hash}`.
    public var command: [String] = []
    public var timeoutSeconds: Int = 120
    /// How many recent results the in-memory history keeps.
    public var historySize: Int = DocgenHistory.defaultCapacity

    public init() {}

    /// The generator these settings describe.
    public func makeGenerator() throws(DocsError) -> any DocGenerator {
        switch generator {
        case .outline:
            return OutlineGenerator()
        case .command:
            guard !command.isEmpty else {
                throw DocsError(.invalidConfiguration, "docs.generator = \"command\" needs docs.command, e.g. [\"my-doc-tool\", \"{file}\"]")
            }
            return try CommandGenerator(arguments: command, timeout: .seconds(timeoutSeconds))
        }
    }
}

/// The docs of one docgen pass: a result per source, and the one commit that holds every doc
/// written (nil when nothing changed).
public struct DocgenReport: Sendable {
    public var results: [DocgenResult]
    public var commit: ObjectID?

    public func count(_ status: DocgenResult.Status) -> Int { results.filter { $0.status == status }.count }
}

/// Regenerates the docs of changed source files, under the repository-wide IDEMP_DOCS lease.
///
/// For each source, as committed on the branch: the doc's first line carries the SHA-256 of the
/// source it describes, so a doc whose hash matches is left alone (idempotent: concurrent passes
/// over the same file generate it once; the others find it current). New docs are committed
/// together in one commit through `BranchWriter` (durable writes: temp file, fsync, rename, fsync
/// of the folder), fenced by the lease's token. A source that changed on the branch while its doc
/// was being generated is not written (`DocgenStale`).
public final class DocgenCoordinator: Sendable {
    public let repository: GitRepository
    public let branch: String
    public let settings: DocgenSettings
    private let writer: BranchWriter
    private let branchOnly: Bool
    private let resourceGuard: any ResourceGuard
    private let generator: any DocGenerator
    private let mode: OperationMode
    private let lintStatus: @Sendable ([String]) async -> [String: LintStatus]
    private let historyState: Mutex<DocgenHistory>

    /// - Parameter lintStatus: the lint status of each source, as shown in its doc.
    /// - Parameter branchOnly: commit the docs only onto the branch's ref (`fix --branch`): the
    ///   working tree and index are neither written nor repaired.
    public init(
        repository: GitRepository, branch: String, settings: DocgenSettings, resourceGuard: any ResourceGuard,
        mode: OperationMode, generator: (any DocGenerator)? = nil, branchOnly: Bool = false,
        lintStatus: @escaping @Sendable ([String]) async -> [String: LintStatus] = { _ in [:] }
    ) throws(DocsError) {
        self.repository = repository
        self.branch = branch
        self.settings = settings
        self.branchOnly = branchOnly
        self.writer = BranchWriter(repository: repository, branch: branch)
        self.resourceGuard = resourceGuard
        if let generator {
            self.generator = generator
        } else {
            self.generator = try settings.makeGenerator()
        }
        self.mode = mode
        self.lintStatus = lintStatus
        self.historyState = Mutex(DocgenHistory(capacity: max(1, settings.historySize)))
    }

    /// The most recent results of this coordinator, oldest first (at most `historySize`).
    public var history: [DocgenResult] { historyState.withLock { $0.recent } }

    /// Regenerates the docs of `sources` (paths relative to the root) and commits what changed.
    public func regenerate(_ sources: [String], runID: String?, message: String? = nil) async throws -> DocgenReport {
        let folder = settings.folder
        let paths = Array(Set(sources)).sorted().filter { !DocPath.isInside($0, folder: folder) }
        guard !paths.isEmpty else { return DocgenReport(results: [], commit: nil) }
        let statuses = await lintStatus(paths)
        let report = try await resourceGuard.withResources([.docs], mode: mode) { grant in
            try await self.regenerateHolding(grant, paths, statuses: statuses, runID: runID, message: message)
        }
        historyState.withLock { history in for result in report.results { history.append(result) } }
        return report
    }

    /// A source to document: where it and its doc stand on the branch.
    private struct Item: Sendable {
        var path: String
        var docPath: String
        var source: TreeEntry
        var doc: TreeEntry?
    }

    private func regenerateHolding(
        _ grant: LeaseGrant, _ paths: [String], statuses: [String: LintStatus], runID: String?,
        message: String?
    ) async throws -> DocgenReport {
        let repository = self.repository
        let branch = self.branch
        let folder = settings.folder
        let generatorName = generator.name
        // A docs writer killed between its temporary file and the rename leaves the temporary
        // behind; only a holder of IDEMP_DOCS writes in the docs folder, so it is safe to remove now.
        if !branchOnly { try AtomicFile.removeStaleTemporaries(in: folder, beneath: repository.workdir) }
        guard let tip = try await BlockingIO.run({ try repository.branchTip(branch) }) else {
            throw GitError(.unbornBranch, "branch \(branch) has no commits yet: nothing to document")
        }
        var results: [String: DocgenResult] = [:]
        var items: [Item] = []
        for path in paths {
            let docPath: String
            do {
                docPath = try DocPath.for(source: path, folder: folder)
            } catch {
                results[path] = DocgenResult(
                    path: path, docPath: "", status: .error, reason: "\(error)", durationSeconds: 0,
                    runID: runID, generator: generatorName)
                continue
            }
            let (source, doc) = try await BlockingIO.run {
                let entries = try repository.entries(at: [path, docPath], in: tip)
                return (entries[path], entries[docPath])
            }
            func skip(_ reason: String) {
                results[path] = DocgenResult(
                    path: path, docPath: docPath, status: .skipped, reason: reason, durationSeconds: 0,
                    runID: runID, generator: generatorName)
            }
            guard let source, source.mode == .regular || source.mode == .executable else {
                skip("not a file on \(branch) (deleted, a link or a folder)")
                continue
            }
            items.append(Item(path: path, docPath: docPath, source: source, doc: doc))
        }

        var changes: [PathChange] = []
        var generated: [String: (hash: String, seconds: Double)] = [:]
        for item in items {
            let start = ContinuousClock.now
            func finish(_ status: DocgenResult.Status, _ reason: String?, hash: String?) {
                results[item.path] = DocgenResult(
                    path: item.path, docPath: item.docPath, status: status, reason: reason,
                    sourceHash: hash, durationSeconds: (ContinuousClock.now - start).docSeconds,
                    runID: runID, generator: generatorName)
            }
            let (bytes, docBytes) = try await BlockingIO.run {
                (try repository.blob(item.source.id), try item.doc.map { try repository.blob($0.id) })
            }
            let hash = DocHeader.sha256Hex(bytes)
            if let docBytes, DocHeader.isCurrent(doc: docBytes, sourceHash: hash) {
                finish(.noop, nil, hash: hash)
                continue
            }
            do {
                let body = try await generator.generate(
                    DocRequest(
                        path: item.path, source: bytes, sourceHash: hash,
                        lintStatus: statuses[item.path] ?? LintStatus(),
                        workdir: repository.workdir))
                let document = DocRenderer.document(header: DocHeader.line(for: hash), body: body)
                changes.append(PathChange(path: item.docPath, old: item.doc, new: try PathChange.Content(bytes: document)))
                generated[item.path] = (hash, (ContinuousClock.now - start).docSeconds)
            } catch let error as DocsError where error.code == .unsupported {
                finish(.skipped, error.message, hash: hash)
            } catch {
                finish(.error, "\(error)", hash: hash)
            }
        }

        var commit: ObjectID?
        if !changes.isEmpty {
            // Sources that moved on the branch while their docs were generated: those docs describe
            // an old version and are dropped (DocgenStale); the rest are written.
            let now = try await BlockingIO.run { try repository.branchTip(branch) } ?? tip
            if now != tip {
                let sourcePaths = items.map(\.path)
                let current = try await BlockingIO.run { try repository.entries(at: sourcePaths, in: now) }
                for item in items where generated[item.path] != nil && current[item.path] != item.source {
                    let stale = CoordinationError(
                        .docgenStale, resource: .docs,
                        message: "\(item.path) changed on \(branch) while its doc was generated; run stomper docgen again")
                    results[item.path] = DocgenResult(
                        path: item.path, docPath: item.docPath, status: .error, reason: "\(stale)",
                        sourceHash: generated[item.path]?.hash, durationSeconds: generated[item.path]?.seconds ?? 0,
                        runID: runID, generator: generatorName)
                    generated[item.path] = nil
                    changes.removeAll { $0.path == item.docPath }
                }
            }
            if !changes.isEmpty && !branchOnly {
                // A docgen killed half-way through its commit left some of these very docs in the
                // working tree or index: put those back (they are byte for byte what is about to be
                // written). A doc that holds anything else was edited by a person and is left alone.
                let repairs = changes.map { (path: $0.path, old: $0.old, new: $0.new?.id) }
                let workdir = repository.workdir
                let edited = try await BlockingIO.run { () throws -> Set<String> in
                    _ = try repository.repairInterruptedLanding(branch: branch, changes: repairs)
                    return Set(
                        try repairs.filter { change in
                            change.old == nil
                                ? FileManager.default.fileExists(atPath: workdir + "/" + change.path)
                                : try repository.hasUncommittedChanges(change.path)
                        }.map(\.path))
                }
                for item in items where edited.contains(item.docPath) {
                    results[item.path] = DocgenResult(
                        path: item.path, docPath: item.docPath, status: .skipped,
                        reason: "the doc \(item.docPath) has uncommitted changes; commit or discard them first",
                        sourceHash: generated[item.path]?.hash, durationSeconds: 0, runID: runID,
                        generator: generatorName)
                    generated[item.path] = nil
                }
                changes.removeAll { edited.contains($0.path) }
            }
            if !changes.isEmpty {
                let text = message ?? Self.message(count: changes.count, runID: runID)
                // Ref-only: a writer for the tip just read (docs follow landed fixes, so the branch exists).
                let writer =
                    branchOnly
                    ? BranchWriter(repository: repository, target: .branchOnly(branch: branch, startPoint: now))
                    : self.writer
                commit = try await writer.land(
                    Patch(base: now, changes: changes), message: text, author: nil, durable: !branchOnly,
                    fence: { try grant.checkWrite() })
            }
        }
        for item in items {
            guard let done = generated[item.path] else { continue }
            results[item.path] = DocgenResult(
                path: item.path, docPath: item.docPath, status: .generated, sourceHash: done.hash,
                durationSeconds: done.seconds, runID: runID, generator: generatorName)
        }
        return DocgenReport(results: paths.compactMap { results[$0] }, commit: commit)
    }

    static func message(count: Int, runID: String?) -> String {
        var text = "docs: regenerate \(count) doc\(count == 1 ? "" : "s") (stomper docgen)\n"
        if let runID { text += "\nStomper-Run: \(runID)\n" }
        return text
    }
}

extension Duration {
    var docSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
