import Foundation
import StomperGit

/// What a landing is about to write, recorded (as the data of its `land.started` event) before
/// the working tree is touched, so that `resume` can undo a landing a kill cut short.
///
/// Versioned: records written before the field existed carry no `version` and are version 1.
/// Version 2 adds `target`: `branch` for a ref-only landing (`fix --branch`), which writes no
/// working tree, so there is nothing to repair; builds that read only version 1 refuse it rather
/// than restore files it never wrote. Checkout landings are still written as version 1. A
/// record that cannot be read — another version, a malformed object id — is an error, never
/// skipped: skipping it would leave a half-written landing in the user's working tree unrepaired.
struct LandingIntent: Codable, Sendable, Hashable {
    /// The newest version this build writes and reads.
    static let currentVersion = 2

    /// Where the landing was writing.
    enum Target: String, Codable, Sendable, Hashable {
        /// The working tree, its index and the checked-out branch.
        case checkout
        /// Only a branch ref.
        case branch
    }

    /// One path of the landing.
    struct Change: Codable, Sendable, Hashable {
        var path: String
        /// The blob the branch held (nil: the landing adds the path).
        var oldBlob: String?
        /// The mode of `oldBlob`, as git writes it (0o100644 …).
        var oldMode: UInt32?
        /// The blob the landing writes (nil: it deletes the path).
        var newBlob: String?

        enum CodingKeys: String, CodingKey {
            case path, oldBlob = "old_blob", oldMode = "old_mode", newBlob = "new_blob"
        }
    }

    var version: Int
    /// The job's idempotency key.
    var key: String?
    var changes: [Change]
    var target: Target

    init(key: String?, changes: [Change], target: Target = .checkout) {
        version = target == .branch ? 2 : 1
        self.key = key
        self.changes = changes
        self.target = target
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? 1
        guard (1...Self.currentVersion).contains(version) else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "landing intent version \(version) is not one this stomper reads")
        }
        key = try container.decodeIfPresent(String.self, forKey: .key)
        changes = try container.decode([Change].self, forKey: .changes)
        target = version >= 2 ? try container.decode(Target.self, forKey: .target) : .checkout
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encodeIfPresent(key, forKey: .key)
        try container.encode(changes, forKey: .changes)
        if version >= 2 { try container.encode(target, forKey: .target) }
    }

    enum CodingKeys: String, CodingKey {
        case version, key, changes, target
    }

    /// Reads the data of a `land.started` event of `job`.
    static func decode(_ text: String, job: String) throws(CoreError) -> LandingIntent {
        do {
            return try JSONDecoder().decode(LandingIntent.self, from: Data(text.utf8))
        } catch {
            throw unreadable(job, "\(error)", underlying: error)
        }
    }

    /// The changes as the repair takes them; a malformed id or mode is an error.
    func treeChanges(job: String) throws(CoreError) -> [(path: String, old: TreeEntry?, new: ObjectID?)] {
        var result: [(path: String, old: TreeEntry?, new: ObjectID?)] = []
        for change in changes {
            var old: TreeEntry?
            if let hex = change.oldBlob {
                guard let id = ObjectID(hex: hex) else { throw Self.unreadable(job, "bad old_blob \(hex) for \(change.path)") }
                let mode: FileMode
                if let raw = change.oldMode {
                    guard let known = FileMode(rawValue: raw) else {
                        throw Self.unreadable(job, "bad old_mode \(raw) for \(change.path)")
                    }
                    mode = known
                } else {
                    mode = .regular
                }
                old = TreeEntry(id: id, mode: mode)
            }
            var new: ObjectID?
            if let hex = change.newBlob {
                guard let id = ObjectID(hex: hex) else { throw Self.unreadable(job, "bad new_blob \(hex) for \(change.path)") }
                new = id
            }
            result.append((change.path, old, new))
        }
        return result
    }

    private static func unreadable(
        _ job: String, _ detail: String, underlying: (any Error)? = nil,
        file: String = #fileID, line: UInt = #line
    ) -> CoreError {
        CoreError(
            .badRecord,
            "the ledger's record of the interrupted landing of \(job) cannot be read (\(detail)), so resume cannot tell "
                + "what it wrote. Check `git status` and `git diff HEAD -- \(job)` and put back by hand what is not yours, "
                + "then start over with `stomper fix --abandon`",
            underlying: underlying, file: file, line: line)
    }
}
