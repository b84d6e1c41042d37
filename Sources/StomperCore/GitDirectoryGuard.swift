import Foundation

/// Detects and undoes agent writes to the repository's git directory: its config, hooks and
/// info files, and HEAD. These steer every later git command (a hook runs code on commit), and no
/// fix ever needs to change them.
///
/// The snapshot is taken once, before any agent runs, so that parallel agents are all compared
/// with the same clean state and a restore never brings back another agent's write.
struct GitDirectoryGuard: Sendable {
    let gitDirectory: String
    private let files: [String: Data]

    /// Files and folders watched, relative to the git directory.
    static let watchedFiles = ["config", "HEAD"]
    static let watchedFolders = ["hooks", "info"]

    init(gitDirectory: String) {
        self.gitDirectory = gitDirectory
        files = Self.read(gitDirectory)
    }

    private static func read(_ root: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let fileManager = FileManager.default
        for name in watchedFiles {
            if let data = fileManager.contents(atPath: root + "/" + name) { result[name] = data }
        }
        for folder in watchedFolders {
            guard let enumerator = fileManager.enumerator(atPath: root + "/" + folder) else { continue }
            while let entry = enumerator.nextObject() as? String {
                let relative = folder + "/" + entry
                var isDirectory: ObjCBool = false
                if fileManager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                    result[relative] = fileManager.contents(atPath: root + "/" + relative) ?? Data()
                }
            }
        }
        return result
    }

    /// The watched paths that differ from the snapshot (changed, added or removed).
    func changedPaths() -> [String] {
        let now = Self.read(gitDirectory)
        return Set(files.keys).union(now.keys).filter { files[$0] != now[$0] }.sorted()
    }

    /// Puts the snapshot back. Returns the paths it had to restore.
    @discardableResult
    func restore() -> [String] {
        let changed = changedPaths()
        let fileManager = FileManager.default
        for path in changed {
            let full = gitDirectory + "/" + path
            if let data = files[path] {
                let attributes = try? fileManager.attributesOfItem(atPath: full)
                try? data.write(to: URL(fileURLWithPath: full), options: .atomic)
                if let permissions = attributes?[.posixPermissions] {
                    try? fileManager.setAttributes([.posixPermissions: permissions], ofItemAtPath: full)
                }
            } else {
                try? fileManager.removeItem(atPath: full)
            }
        }
        return changed
    }
}
