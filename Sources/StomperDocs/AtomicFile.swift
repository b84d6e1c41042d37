public import Foundation
import StomperGit

/// Writes a file so that readers, and a crash at any moment, see either the old content or the
/// new, never a mix: the bytes go to a temporary file in the same folder, which is flushed to disk
/// and then renamed over the target; the folder is flushed so the rename itself survives a crash.
public enum AtomicFile {
    /// Temporary files are `.stomper-<random>.tmp`, beside their target.
    static let temporaryPrefix = ".stomper-"
    static let temporarySuffix = ".tmp"

    /// Replaces `absolutePath` with `bytes` (creating its parent folders) and gives it `mode`
    /// exactly, whatever the umask. A crash leaves at most a temporary file behind, which
    /// `removeStaleTemporaries(in:)` clears; any other failure removes it before throwing.
    ///
    /// The failpoint `docs.write` fires after the temporary file is complete, before the rename.
    public static func write(_ bytes: [UInt8], to absolutePath: String, mode: mode_t = 0o644) throws(DocsError) {
        guard absolutePath.hasPrefix("/") else {
            throw DocsError(.invalidPath, "AtomicFile.write needs an absolute path", path: absolutePath)
        }
        let folder = (absolutePath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DocsError(.io, "could not create the folder \(folder)", path: absolutePath, underlying: error)
        }
        let (descriptor, temporary) = try createTemporary(in: folder)
        do throws(DocsError) {
            try writeAll(bytes, to: descriptor, path: temporary)
            try check(fchmod(descriptor, mode), "could not set the mode of", temporary)
            try check(fsync(descriptor), "could not flush", temporary)
        } catch {
            _ = close(descriptor)
            _ = unlink(temporary)
            throw error
        }
        // Closed exactly once, failed or not: on Linux the descriptor is released either way, and a
        // second close could hit a descriptor another thread has just opened.
        if close(descriptor) != 0 {
            let code = errno
            _ = unlink(temporary)
            throw DocsError(.io, "could not close \(temporary): \(String(cString: strerror(code)))", path: temporary, errno: code)
        }
        Failpoint.hit("docs.write")
        guard rename(temporary, absolutePath) == 0 else {
            let code = errno
            _ = unlink(temporary)
            throw DocsError(
                .io, "could not move the new content into place: \(String(cString: strerror(code)))",
                path: absolutePath, errno: code)
        }
        try syncFolder(folder)
    }

    /// Removes the temporary files a killed writer left in `folder` (relative to `root`, the
    /// repository's working tree) and returns their names, sorted. A missing folder has none.
    /// Call it only while no writer uses the folder (under the IDEMP_DOCS lease), or it removes a
    /// file another writer is about to rename.
    ///
    /// Listed and removed through `ConfinedDirectory`: a symbolic link in place of the folder or
    /// of one on the way to it is not followed (nothing behind it is touched), and a link named
    /// like a temporary is removed itself, never its target.
    @discardableResult
    public static func removeStaleTemporaries(in folder: String, beneath root: String) throws(DocsError) -> [String] {
        let directory = ConfinedDirectory(root: root, obstacles: .refuse)
        do {
            let names = try directory.names(in: folder)
            let stale = names.filter { $0.hasPrefix(temporaryPrefix) && $0.hasSuffix(temporarySuffix) }.sorted()
            for name in stale {
                try directory.removeFile(folder.isEmpty ? name : folder + "/" + name)
            }
            return stale
        } catch {
            throw DocsError(
                .io,
                "could not remove the stale temporary files in \(folder): \(error.message); remove "
                    + "`.stomper-*.tmp` files there by hand if they are left", path: root + "/" + folder, underlying: error)
        }
    }

    private static func createTemporary(in folder: String) throws(DocsError) -> (Int32, String) {
        for _ in 0..<16 {
            let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let path = folder + "/" + temporaryPrefix + random + temporarySuffix
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 { return (descriptor, path) }
            let code = errno
            if code != EEXIST {
                throw DocsError(
                    .io, "could not create a temporary file: \(String(cString: strerror(code)))",
                    path: path, errno: code)
            }
        }
        throw DocsError(.io, "could not find a free temporary file name", path: folder)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(DocsError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                try check(-1, "could not write", path)
            }
            offset += written
        }
    }

    private static func syncFolder(_ folder: String) throws(DocsError) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try check(descriptor, "could not open the folder", folder)
        defer { _ = close(descriptor) }
        try check(fsync(descriptor), "could not flush the folder", folder)
    }

    /// Throws `.io` with `errno` when `status` is negative.
    private static func check(
        _ status: Int32, _ what: String, _ path: String,
        file: String = #fileID, line: UInt = #line
    ) throws(DocsError) {
        guard status < 0 else { return }
        let code = errno
        throw DocsError(
            .io, "\(what) \(path): \(String(cString: strerror(code)))", path: path, errno: code,
            file: file, line: line)
    }
}
