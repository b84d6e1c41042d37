import Foundation
import StomperProcess

/// Lints the files that are ready for verification at the same moment with one `ruff check`
/// instead of one process each (`linters.ruff.batch`).
///
/// Group commit, no timer: a request that finds no ruff running starts one at once, alone; the
/// requests that arrive while it runs wait, and the next process takes them all. So a lone job
/// waits for nothing, and under load (many jobs finishing their agents together, as with real
/// agents at high parallelism) one process serves many — ruff's start, its configuration
/// discovery and the sandbox's namespaces are paid once per batch instead of once per file.
///
/// The same diagnostics as a cold run, one root at a time: each root is a worktree holding the
/// project's own configuration file at its top (only such roots are batched; others run alone),
/// ruff resolves every file's configuration from its own folders (hierarchical discovery), the
/// batch runs from the roots' common parent so no root's ancestors are another's, and every
/// finding is given back to the request whose root holds it. A batch that fails as a whole (one
/// root's configuration is broken, ruff stops) is run again one request at a time, so each gets
/// the result, or the error, it would have had alone.
public actor RuffBatcher {
    struct Request {
        var paths: [String]
        var root: String
        var sandbox: Sandbox?
        var continuation: CheckedContinuation<[Diagnostic], any Error>
    }

    private var queue: [Request] = []
    private var running = false
    private var paused = false
    /// Processes started and requests served, for tests and benchmarks.
    public private(set) var processes = 0
    public private(set) var requests = 0

    /// The most paths one request may name to be batched (planning's whole-tree lint runs alone).
    static let batchablePaths = 16

    public init() {}

    /// What `linter` finds in `paths` under `root`, linted together with the requests that are
    /// waiting when a process is started.
    func lint(_ paths: [String], root: String, with linter: RuffLinter) async throws -> [Diagnostic] {
        let sandbox = Sandbox.current
        return try await withCheckedThrowingContinuation { continuation in
            queue.append(Request(paths: paths, root: root, sandbox: sandbox, continuation: continuation))
            requests += 1
            startNext(linter)
        }
    }

    /// Holds new processes back until `resume` (tests: to make a batch of a known size).
    func pause() { paused = true }

    /// Lets processes start again, with everything queued meanwhile.
    func resume(_ linter: RuffLinter) {
        paused = false
        startNext(linter)
    }

    /// Requests waiting for a process (tests).
    var waiting: Int { queue.count }

    private func startNext(_ linter: RuffLinter) {
        guard !running, !paused, !queue.isEmpty else { return }
        // One request per root, and only roots in the same folder (the pool's): the others wait
        // for the next process.
        var batch: [Request] = []
        var rest: [Request] = []
        var roots = Set<String>()
        let parent = (queue[0].root as NSString).deletingLastPathComponent
        for request in queue {
            let sameFolder = (request.root as NSString).deletingLastPathComponent == parent
            if sameFolder && roots.insert(request.root).inserted { batch.append(request) } else { rest.append(request) }
        }
        queue = rest
        running = true
        processes += 1
        Task {
            await Self.serve(batch, with: linter)
            self.finished(linter)
        }
    }

    private func finished(_ linter: RuffLinter) {
        running = false
        startNext(linter)
    }

    /// Runs `batch` as one process, or each request alone when there is one or the batch failed.
    private static func serve(_ batch: [Request], with linter: RuffLinter) async {
        if batch.count > 1 {
            do {
                let results = try await linter.lintTogether(batch.map { ($0.paths, $0.root) }, sandbox: batch[0].sandbox)
                for (request, diagnostics) in zip(batch, results) { request.continuation.resume(returning: diagnostics) }
                return
            } catch {
                // Each request alone gets what it would have got without batching.
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for request in batch {
                group.addTask {
                    do {
                        let diagnostics = try await Sandbox.$current.withValue(request.sandbox) {
                            try await linter.lintAlone(request.paths, root: request.root)
                        }
                        request.continuation.resume(returning: diagnostics)
                    } catch {
                        request.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// Whether `root` holds a ruff configuration file at its top, so that every file under it
    /// takes its settings from the root's own files, wherever ruff runs from.
    static func hasOwnConfiguration(_ root: String) -> Bool {
        let manager = FileManager.default
        if manager.fileExists(atPath: root + "/ruff.toml") || manager.fileExists(atPath: root + "/.ruff.toml") { return true }
        guard let data = manager.contents(atPath: root + "/pyproject.toml") else { return false }
        return String(decoding: data, as: UTF8.self).contains("[tool.ruff")
    }
}
