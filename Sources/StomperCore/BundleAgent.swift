import Foundation
import StomperAgents
import StomperFiles
import StomperQuality
import Synchronization

/// The "fixer" of `stomper land`: writes the content a shard's fix gives the file on the tip (the
/// shard's blob, or its three-way merge with the tip's changes) into the job's worktree. It runs
/// nothing, so it is contained; what it writes is verified like any agent's change.
struct BundleAgent: Agent {
    /// The content of each file to land, set once the land is planned.
    final class Contents: Sendable {
        let value = Mutex<[String: [UInt8]]>([:])
    }

    let contents: Contents

    var identity: AgentIdentity { AgentIdentity(kind: Self.kind, name: Self.kind, settings: "") }

    /// The agent kind a land run records; `land` recognises its own unfinished runs by it.
    static let kind = "land"

    var isContained: Bool { true }

    func fix(_ request: FixRequest) async throws -> AgentOutcome {
        let clock = ContinuousClock.now
        guard let bytes = contents.value.withLock({ $0[request.path] }) else {
            return AgentOutcome(status: .failed(reason: "no shard fix for \(request.path)"), calls: 0)
        }
        let folder = NoFollowFolder(root: request.worktree)
        do {
            let permissions = try folder.readRegularFile(request.path).permissions
            try folder.replaceFile(request.path, with: bytes, permissions: permissions)
        } catch {
            return AgentOutcome(status: .failed(reason: "cannot write the shard's fix: \(error)"), duration: ContinuousClock.now - clock, calls: 0)
        }
        return AgentOutcome(status: .completed, duration: ContinuousClock.now - clock, calls: 0)
    }
}
