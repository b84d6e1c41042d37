import Foundation
import StomperGit

/// What a landing is about to write, recorded (as the data of its `land.started` event) before
/// the working tree is touched, so that `resume` can undo a landing a kill cut short.
///
/// Versioned: records written before the field existed carry no `version` and are version 1. A
/// record that cannot be read — another version, a malformed object id — is an error, never
/// skipped: skipping it would leave a half-written landing in the user's working tree unrepaired.
struct LandingIntent: Codable, Sendable, Hashable {
    /// The version this build writes and reads.
    static let currentVersion = 1

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

    init(key: String?, changes: [Change]) {
        version = Self.currentVersion
        self.key = key
        self.changes = changes
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? 1
        guard version == Self.currentVersion else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container,
                                                   debugDescription: "landing intent version \(version) is not one this stomper reads")
        }
        key = try container.decodeIfPresent(String.self, forKey: .key)
        changes = try container.decode([Change].self, forKey: .changes)
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

    private static func unreadable(_ job: String, _ detail: String, underlying: (any Error)? = nil) -> CoreError {
        CoreError(.badRecord,
                  "the ledger's record of the interrupted landing of \(job) cannot be read (\(detail)), so resume cannot tell "
                  + "what it wrote. Check `git status` and `git diff HEAD -- \(job)` and put back by hand what is not yours, "
                  + "then start over with `stomper fix --abandon`",
                  underlying: underlying)
    }
}
