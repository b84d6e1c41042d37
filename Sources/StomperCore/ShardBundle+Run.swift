import Foundation
import StomperAgents
public import StomperGit
public import StomperLedger

extension ShardBundle {
    /// Writes the bundle of run `runID`: every fix the ledger says landed (a receipt's figures
    /// when there is one; a fix resume found in git history has none), the branch from `base`
    /// (the commit the shard started from, which every shard and the lander share) to its tip,
    /// and the ledger's learning. Returns the manifest written.
    public func write(runID: String, shard: ShardSpec?, base: ObjectID, ledger: Ledger, repository: GitRepository) async throws -> Manifest {
        guard let run = try await ledger.run(runID) else {
            throw CoreError(.badRecord, "run \(runID) is not in the ledger")
        }
        let jobs = try await ledger.jobs(runID: runID)
        let receipts = Dictionary(try await ledger.receipts(runID: runID).map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
        let landed = jobs.compactMap { job -> (JobRecord, ObjectID)? in
            guard case .landed(let commit) = job.state, let id = ObjectID(hex: commit) else { return nil }
            return (job, id)
        }
        let branch = run.branch
        let fixes = try await BlockingIO.run { () throws -> [Fix] in
            try landed.sorted { $0.0.path < $1.0.path }.map { job, commit in
                let paths = try repository.patchEmail(for: commit).paths
                guard let blob = try repository.entry(at: job.path, in: commit)?.id else {
                    throw CoreError(.bundle, "commit \(commit.short) of \(job.path) no longer holds the file")
                }
                let receipt = receipts[job.path]
                let fixed = receipt.flatMap { try? JSONDecoder().decode([String: Int].self, from: Data($0.diagnosticsFixed.utf8)) } ?? [:]
                return Fix(
                    path: job.path, key: job.key, commit: commit.hex, paths: paths, baseBlob: job.baseBlob, blob: blob.hex,
                    diagnosticsFixed: fixed, agentCalls: receipt?.agentCalls ?? 0, agentSeconds: receipt?.agentSeconds ?? 0,
                    totalSeconds: receipt?.totalSeconds ?? 0, cacheHit: receipt?.cacheHit ?? false,
                    patchSHA256: receipt?.patchSHA256 ?? "")
            }
        }
        let tip = try await BlockingIO.run { try repository.branchTip(branch) } ?? base
        let agent = (try? JSONDecoder().decode(AgentIdentity.self, from: Data(run.agent.utf8)))?.description ?? run.agent
        let manifest = Manifest(
            format: Self.format, version: Self.version, runID: runID, shard: shard?.label, base: base.hex, branch: branch,
            tip: tip.hex, toolVersions: (try? JSONDecoder().decode([String: String].self, from: Data(run.toolVersions.utf8))) ?? [:],
            agent: agent, configHash: run.configHash, planned: jobs.filter { !$0.key.isEmpty }.count, fixes: fixes)
        return try await write(manifest, repository: repository) { path in
            _ = try await ledger.exportCache(to: path)
        }
    }
}

/// What `fix --bundle DIR` asked of a run, recorded in the ledger (`bundle.requested`) so that
/// `stomper resume` of a killed shard writes the same bundle at its end.
public struct BundleRequest: Sendable, Hashable, Codable {
    /// The folder, absolute.
    public var directory: String
    public var shard: ShardSpec?
    /// The commit the shard started from (HEAD's when the run began): the bundle's prerequisite.
    public var base: String

    public init(directory: String, shard: ShardSpec?, base: ObjectID) {
        self.directory = directory
        self.shard = shard
        self.base = base.hex
    }

    /// A request based on HEAD's commit: the commit every shard and the lander share, whatever
    /// the shard's branch already holds.
    public static func atHead(directory: String, shard: ShardSpec?, repository: GitRepository) throws -> BundleRequest {
        switch try repository.head() {
        case .branch(_, let commit), .detached(let commit):
            return BundleRequest(directory: directory, shard: shard, base: commit)
        case .unborn(let branch):
            throw CoreError(.repositoryState, "branch \(branch) has no commits yet: commit the files to fix first")
        }
    }

    static let eventType = "bundle.requested"

    /// Records the request in run `recorder.runID`'s events.
    public func record(_ recorder: RunRecorder) async throws {
        try await recorder.event(
            Self.eventType, step: "plan",
            ["directory": .string(directory), "shard": shard.map { .string($0.label) } ?? .null, "base": .string(base)])
    }

    /// The request run `runID` recorded, nil when it was not asked for a bundle.
    public static func find(runID: String, ledger: Ledger) async throws -> BundleRequest? {
        guard let event = try await ledger.events(runID: runID, type: eventType).last,
            let object = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
            let directory = object["directory"] as? String, let base = (object["base"] as? String).flatMap(ObjectID.init(hex:))
        else { return nil }
        let shard = try (object["shard"] as? String).map { try ShardSpec(parsing: $0) }
        return BundleRequest(directory: directory, shard: shard, base: base)
    }

    /// Writes the bundle of run `runID` as asked.
    public func write(runID: String, ledger: Ledger, repository: GitRepository) async throws -> ShardBundle.Manifest {
        guard let base = ObjectID(hex: base) else { throw CoreError(.badRecord, "bundle base \(base) is not an object id") }
        let bundle = ShardBundle(directory: directory)
        try bundle.prepare()
        return try await bundle.write(runID: runID, shard: shard, base: base, ledger: ledger, repository: repository)
    }
}
