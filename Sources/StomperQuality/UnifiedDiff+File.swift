import Foundation

extension UnifiedDiff {
    /// Applies a fixer's output for one file, `path` (relative to `root`, as it was given to the
    /// fixer). Returns false when the output is empty (nothing to fix) or changes nothing.
    ///
    /// All or nothing: the output must be the diff of exactly that file and every hunk must apply,
    /// or `.fixRejected` is thrown and the file is left as it was. The new content replaces the
    /// file atomically (a temporary file beside it, renamed over it) with the same permissions.
    /// A symbolic link is refused rather than written through: its target may be outside the tree.
    @discardableResult
    public static func apply(_ output: [UInt8], toFile path: String, root: String, tool: String) throws(QualityError) -> Bool {
        let diffs = try parse(output, tool: tool)
        guard !diffs.isEmpty else { return false }
        for diff in diffs where !diff.names(path) {
            throw QualityError(.fixRejected, "\(tool)'s fix for \(path) was not applied (the file is unchanged): "
                               + "its diff is for `\(diff.oldName)` → `\(diff.newName)`, not for \(path)", tool: tool)
        }
        guard diffs.count == 1 else {
            throw QualityError(.fixRejected, "\(tool)'s fix for \(path) was not applied (the file is unchanged): "
                               + "its output has \(diffs.count) diffs of the file, not one", tool: tool)
        }
        let full = path.hasPrefix("/") ? path : root + "/" + path
        let (original, permissions) = try read(full, tool: tool)
        let updated = try diffs[0].applied(to: original, tool: tool)
        guard updated != original else { return false }
        try replace(full, with: updated, permissions: permissions, tool: tool)
        return true
    }

    private static func read(_ path: String, tool: String) throws(QualityError) -> ([UInt8], mode_t) {
        let attributes: [FileAttributeKey: Any]
        do {
            // Does not follow a symbolic link.
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw QualityError(.fileAccess, "\(tool)'s fix could not be applied: \(path) cannot be read", tool: tool, underlying: error)
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw QualityError(.fileAccess, "\(tool)'s fix was not applied: \(path) is not a regular file (a symbolic link?)", tool: tool)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QualityError(.fileAccess, "\(tool)'s fix could not be applied: \(path) cannot be read", tool: tool)
        }
        let permissions = (attributes[.posixPermissions] as? NSNumber).map { mode_t($0.uint16Value) } ?? 0o644
        return ([UInt8](data), permissions)
    }

    /// Not flushed to disk: the file is in a worktree that a crash throws away with the attempt.
    private static func replace(_ path: String, with bytes: [UInt8], permissions: mode_t, tool: String) throws(QualityError) {
        func failure(_ what: String, _ code: Int32) -> QualityError {
            QualityError(.fileAccess, "\(tool)'s fix for \(path) could not be written (the file is unchanged): \(what): "
                         + String(cString: strerror(code)), tool: tool)
        }
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<16 {
            temporary = folder + "/." + name + ".stomper-" + String(UInt64.random(in: 0...UInt64.max), radix: 36) + ".tmp"
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw failure("could not create a temporary file beside it", errno) }
        var problem: QualityError?
        var offset = 0
        while offset < bytes.count && problem == nil {
            let written = bytes.withUnsafeBytes { raw in Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset) }
            if written >= 0 {
                offset += written
            } else if errno != EINTR {
                problem = failure("could not write the temporary file", errno)
            }
        }
        if problem == nil && fchmod(descriptor, permissions) != 0 { problem = failure("could not set the temporary file's mode", errno) }
        // Closed exactly once: a second close could hit a descriptor another thread just opened.
        if close(descriptor) != 0 && problem == nil { problem = failure("could not close the temporary file", errno) }
        if problem == nil && rename(temporary, path) != 0 { problem = failure("could not move the new content into place", errno) }
        if let problem {
            _ = unlink(temporary)
            throw problem
        }
    }
}
