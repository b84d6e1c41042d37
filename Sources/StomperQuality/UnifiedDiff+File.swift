import Foundation
import StomperFiles

extension UnifiedDiff {
    /// Applies a fixer's output for one file, `path` (relative to `root`, as it was given to the
    /// fixer). Returns false when the output is empty (nothing to fix) or changes nothing.
    ///
    /// All or nothing: the output must be the diff of exactly that file and every hunk must apply,
    /// or `.fixRejected` is thrown and the file is left as it was. The new content replaces the
    /// file atomically (a temporary file beside it, renamed over it) with the same permissions.
    /// A symbolic link — the file itself or any folder on the way from `root` — is refused rather
    /// than read or written through (`NoFollowFolder`): its target may be outside the tree.
    @discardableResult
    public static func apply(_ output: [UInt8], toFile path: String, root: String, tool: String) throws(QualityError) -> Bool {
        let diffs = try parse(output, tool: tool)
        guard !diffs.isEmpty else { return false }
        for diff in diffs where !diff.names(path) {
            throw QualityError(
                .fixRejected,
                "\(tool)'s fix for \(path) was not applied (the file is unchanged): "
                    + "its diff is for `\(diff.oldName)` → `\(diff.newName)`, not for \(path)", tool: tool)
        }
        guard diffs.count == 1 else {
            throw QualityError(
                .fixRejected,
                "\(tool)'s fix for \(path) was not applied (the file is unchanged): "
                    + "its output has \(diffs.count) diffs of the file, not one", tool: tool)
        }
        let folder = NoFollowFolder(root: root)
        let relative = try relativePath(path, root: root, tool: tool)
        let original: [UInt8]
        let permissions: UInt32
        do {
            (original, permissions) = try folder.readRegularFile(relative)
        } catch {
            throw fileAccess(error, "could not be applied", tool: tool)
        }
        let updated = try diffs[0].applied(to: original, tool: tool)
        guard updated != original else { return false }
        do {
            try folder.replaceFile(relative, with: updated, permissions: permissions)
        } catch {
            throw fileAccess(error, "could not be written (the file is unchanged)", tool: tool)
        }
        return true
    }

    /// `path` relative to `root`: as given, or with `root/` taken off an absolute path.
    private static func relativePath(_ path: String, root: String, tool: String) throws(QualityError) -> String {
        guard path.hasPrefix("/") else { return path }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else {
            throw QualityError(
                .fileAccess,
                "\(tool)'s fix was not applied: \(path) is not beneath \(root), so it leaves the "
                    + "folder stomper writes in", tool: tool)
        }
        return String(path.dropFirst(prefix.count))
    }

    private static func fileAccess(
        _ error: NoFollowError, _ what: String, tool: String,
        file: String = #fileID, line: UInt = #line
    ) -> QualityError {
        let reason =
            switch error.code {
            case .symbolicLink, .notRegularFile: "is not a regular file stomper may write (\(error.message))"
            case .invalidPath: "leaves the folder stomper writes in (\(error.message))"
            default: "could not be read or written (\(error.message))"
            }
        return QualityError(
            .fileAccess, "\(tool)'s fix for \(error.path) \(what): \(error.path) \(reason)", tool: tool,
            underlying: error, file: file, line: line)
    }
}
