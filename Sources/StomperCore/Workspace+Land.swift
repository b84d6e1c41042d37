import Foundation
import StomperAgents
import StomperGit
public import StomperLedger
import StomperCoordination
import StomperProcess
import StomperQuality
import Synchronization

/// What `stomper land` is asked to land: shard bundles (folders, manifests or bundle files), onto
/// the checked-out branch or, with `branch`, onto that branch's ref only.
public struct LandRequest: Sendable {
    public var bundles: [String]
    public var branch: String?
    /// Mark an unfinished `fix` run of a dead process aborted instead of refusing to start.
    public var abandon: Bool

    public init(bundles: [String], branch: String? = nil, abandon: Bool = false) {
        self.bundles = bundles
        self.branch = branch
        self.abandon = abandon
    }
}

/// A land planned and ready to run as a fix run whose fixer writes the shards' fixes.
public struct PreparedLand: Sendable {
    public let run: PreparedRun
    public let bundles: [LoadedShardBundle]
    /// Fixes whose `Stomper-Key` is already on the branch: landed before, not again.
    public let alreadyLanded: [ShardBundle.Fix]
    /// Fixes left for a later land or run, with the reason (a conflict, the file gone, another
    /// fix of the same file first). They are also the plan's skipped outcomes.
    public let notLanded: [(fix: ShardBundle.Fix, reason: String)]
    /// Fixes whose file changed on the branch since the shard's base: merged three ways.
    public let merged: [String]
    /// The shards' learning added to this ledger.
    public let learning: CacheTransfer
    /// Earlier land runs of dead processes taken over: their half-done landing undone, their
    /// landed fixes found on the branch.
    public let takenOver: [String]
}

extension Workspace {
    /// Plans landing shard bundles (`stomper land`): checks each bundle (checksums, base), adds
    /// its objects to the repository (no ref moves), merges the shards' learning into the ledger
    /// (MERGE_META: the import is order-independent), takes over an earlier land that died, and
    /// plans one job per fix not on the branch yet, in path order. A job's fixer writes the
    /// shard's content, or its three-way merge with the branch's changes to the file; the
    /// pipeline re-verifies it on the tip (re-lint, gate, tests) and commits it under the file's
    /// lease with the shard's `Stomper-Key`, so landing twice lands nothing new.
    public func prepareLand(_ request: LandRequest, ledger: Ledger? = nil) async throws -> PreparedLand {
        guard !request.bundles.isEmpty else {
            throw CoreError(.bundle, "no shard bundle named: give the folders `stomper fix --shard I/N --bundle DIR` wrote")
        }
        var flags: [String: SettingValue] = ["fix.max_attempts": .int(1), "agent.learning": .bool(false)]
        if let branch = request.branch { flags["fix.branch"] = .string(branch) }
        let workspace = try applying(flags)
        let configuration = workspace.configuration
        let repository = self.repository
        let ledger = try ledger ?? workspace.openLedger()

        // 1. The bundles, checked, and their objects added.
        let bundles = try request.bundles.map { try LoadedShardBundle.load($0) }
        for bundle in bundles {
            guard let base = ObjectID(hex: bundle.manifest.base), (try? repository.message(of: base)) != nil else {
                throw CoreError(
                    .bundle,
                    "\(bundle.directory): the shards' base commit \(bundle.manifest.base.prefix(12)) is not in this repository: "
                        + "fetch it (`git fetch origin \(bundle.manifest.base)`) and land again", subject: bundle.directory)
            }
            if let bytes = bundle.bytes {
                do {
                    _ = try await BlockingIO.run { try repository.importBundle(bytes) }
                } catch {
                    throw CoreError(.bundle, "\(bundle.directory): \(error)", subject: bundle.directory, underlying: error)
                }
            }
        }

        // 2. The shards' learning (order-independent: an attempt already here is not added again).
        var learning = CacheTransfer()
        for bundle in bundles {
            guard let path = bundle.ledgerPath else { continue }
            let added = try await ledger.importCache(from: path)
            learning.fixes += added.fixes
            learning.attempts += added.attempts
            learning.attemptsKept += added.attemptsKept
            learning.fixesKept += added.fixesKept
        }

        // 3. An earlier land that died: undo its half-done landing and find what it landed
        // (git history decides), then retire it; this land plans afresh.
        let agent = BundleAgent(contents: BundleAgent.Contents())
        let pipeline = try await workspace.makePipeline(ledger: ledger, toolVersions: nil, startsAgents: true, agents: [agent])
        var takenOver: [String] = []
        for run in try await ledger.unfinishedRuns() where Self.isLand(run) {
            if run.status == .running, ProcessLiveness.isAlive(pid: run.pid, host: run.host) {
                throw CoreError(
                    .runBlocked, "another stomper land is in progress (run \(run.id), pid \(run.pid)): wait for it to finish", subject: run.id)
            }
            _ = try await pipeline.prepareResume(of: run, ledger: ledger)
            try await ledger.setRunStatus(run.id, .aborted)
            try await ledger.append(
                EventRecord(
                    level: .warning, runID: run.id, type: "run.aborted", step: "plan", data: "{\"reason\":\"taken over by a new stomper land\"}"))
            takenOver.append(run.id)
        }
        try await RunGate.check(ledger, abandon: request.abandon, concurrentRunsAllowed: configuration.coordination.enabled)

        // 4. The plan: what the tip's files have, and which fixes are not on the branch yet.
        let fixes = bundles.flatMap(\.manifest.fixes).sorted { ($0.path, $0.key) < ($1.path, $1.key) }
        var plan = try await pipeline.plan(
            paths: Array(Set(fixes.map(\.path))).sorted(), target: RunGate.planTarget(branch: configuration.fixBranch, dryRun: false))
        let tip = plan.base
        let bases = Set(bundles.compactMap { ObjectID(hex: $0.manifest.base) })
        var landedKeys: [String: ObjectID] = [:]
        for base in bases {
            let found = try await BlockingIO.run { try repository.trailerValues("Stomper-Key", from: tip, excluding: base) }
            landedKeys.merge(found) { first, _ in first }
        }
        let jobs = Dictionary(plan.jobs.map { ($0.path, $0) }, uniquingKeysWith: { (first: FileJob, _: FileJob) in first })
        let skippedByPath = Dictionary(plan.skipped.map { ($0.path, $0) }, uniquingKeysWith: { (first: FileOutcome, _: FileOutcome) in first })
        let entries = try await BlockingIO.run { try repository.entries(at: fixes.map(\.path), in: tip) }
        var alreadyLanded: [ShardBundle.Fix] = []
        var notLanded: [(fix: ShardBundle.Fix, reason: String)] = []
        var merged: [String] = []
        var landing: [FileJob] = []
        var skipped: [FileOutcome] = []
        var contents: [String: [UInt8]] = [:]
        for fix in fixes {
            if landedKeys[fix.key] != nil {
                alreadyLanded.append(fix)
                continue
            }
            func leave(_ reason: String) {
                notLanded.append((fix, reason))
                skipped.append(.skipped(fix.path, reason, diagnostics: fix.diagnosticsFixed.values.reduce(0, +)))
            }
            guard fix.paths == [fix.path] else {
                leave("the shard's fix changes other files too (\(fix.paths.joined(separator: ", "))); land takes single-file fixes")
                continue
            }
            guard contents[fix.path] == nil else {
                leave("another shard's fix of \(fix.path) lands first; land again to merge this one")
                continue
            }
            guard let entry = entries[fix.path] else {
                leave("\(fix.path) is no longer on \(plan.branch)")
                continue
            }
            if let outcome = skippedByPath[fix.path] {
                leave(outcome.reason ?? "skipped")
                continue
            }
            let content: [UInt8]
            do {
                content = try await BlockingIO.run { try Self.content(of: fix, onto: entry.id, path: fix.path, in: repository) }
            } catch let error as LandConflict {
                leave(error.reason)
                continue
            }
            if entry.id.hex != fix.baseBlob { merged.append(fix.path) }
            guard let job = jobs[fix.path] else {
                leave("\(fix.path) has nothing left to fix on \(plan.branch)")
                continue
            }
            contents[fix.path] = content
            landing.append(
                FileJob(
                    path: fix.path, baseBlob: entry.id, diagnostics: job.diagnostics, key: IdempotencyKey(stored: fix.key),
                    baseline: job.baseline, needsAgent: []))
        }
        agent.contents.value.withLock { $0 = contents }
        plan.jobs = landing
        plan.skipped = skipped
        plan.excluded = [:]
        return PreparedLand(
            run: PreparedRun(pipeline: pipeline, plan: plan, ledger: ledger, dryRun: false),
            bundles: bundles, alreadyLanded: alreadyLanded, notLanded: notLanded, merged: merged, learning: learning,
            takenOver: takenOver)
    }

    /// Whether `run` is a land (its fixer is the shards' fixes).
    static func isLand(_ run: RunRecord) -> Bool {
        guard let data = run.agent.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return object["kind"] as? String == BundleAgent.kind
    }

    /// The content `fix` gives its file on the tip, where the file is blob `current`: the shard's
    /// blob when the file is as the shard found it, else the three-way merge of the shard's change
    /// into the tip's. Throws `LandConflict` when it does not merge, or the tip has it already.
    static func content(of fix: ShardBundle.Fix, onto current: ObjectID, path: String, in repository: GitRepository) throws -> [UInt8] {
        guard let base = ObjectID(hex: fix.baseBlob), let fixed = ObjectID(hex: fix.blob) else {
            throw LandConflict(reason: "the manifest's blob ids for \(path) are not object ids")
        }
        if current == fixed { throw LandConflict(reason: "\(path) already has the shard's fix") }
        let theirs = try repository.blob(fixed)
        if current == base { return theirs }
        let ours = try repository.blob(current)
        switch try GitRepository.mergeFile(base: try repository.blob(base), ours: ours, theirs: theirs, path: path) {
        case .clean(let bytes):
            if bytes == ours { throw LandConflict(reason: "\(path) already has the shard's fix") }
            return bytes
        case .conflict:
            throw LandConflict(
                reason: "conflict: \(path) changed on the branch since the shard's base and the shard's fix does not merge with it; "
                    + "left for the next stomper fix")
        }
    }
}

/// A fix `land` leaves: it conflicts with the branch's changes, or the branch has it already.
struct LandConflict: Error {
    var reason: String
}
