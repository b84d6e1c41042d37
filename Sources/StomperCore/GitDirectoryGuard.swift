import Foundation
import Synchronization

/// Detects and undoes agent writes to the repository's git directory: its config, hooks and
/// info files, and HEAD. These steer every later git command (a hook runs code on commit), and no
/// fix ever needs to change them.
///
/// The snapshot is taken once, before any agent runs, so that a restore never brings back another
/// agent's write. Agents run in parallel, so a write is pinned to a time, not to whoever noticed it:
/// a changed file's modification time (a removed file: the span since the previous clean scan), and
/// only jobs whose agent was running then are held responsible.
final class GitDirectoryGuard: Sendable {
    /// One write under `.git`, restored, and when it happened.
    struct Incident: Sendable, Hashable {
        var path: String
        var earliest: Date
        var latest: Date
        /// When a scan found it. A write found before an agent started cannot be that agent's.
        var detected: Date
    }

    let gitDirectory: String
    private let files: [String: Data]
    private let state: Mutex<(incidents: [Incident], lastClean: Date)>

    /// Files and folders watched, relative to the git directory.
    static let watchedFiles = ["config", "HEAD"]
    static let watchedFolders = ["hooks", "info"]
    /// File-system timestamps come from a coarse clock (a few milliseconds on Linux).
    static let clockSlack: TimeInterval = 0.02

    init(gitDirectory: String) {
        self.gitDirectory = gitDirectory
        files = Self.read(gitDirectory)
        state = Mutex(([], Date()))
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

    /// Compares the git directory with the snapshot, restores any difference, and returns the
    /// restored paths written while an agent ran between `start` and `end`.
    func incidents(duringAgentRun start: Date, _ end: Date) -> [String] {
        state.withLock { state in
            let now = Date()
            let current = Self.read(gitDirectory)
            let changed = Set(files.keys).union(current.keys).filter { files[$0] != current[$0] }.sorted()
            for path in changed {
                let full = gitDirectory + "/" + path
                let modified = (try? FileManager.default.attributesOfItem(atPath: full)[.modificationDate]) as? Date
                state.incidents.append(Incident(path: path, earliest: modified ?? state.lastClean, latest: modified ?? now,
                                                detected: now))
                restore(path)
            }
            state.lastClean = now
            let window = start.addingTimeInterval(-Self.clockSlack)...end.addingTimeInterval(Self.clockSlack)
            return state.incidents
                .filter { $0.detected >= start && $0.latest >= window.lowerBound && $0.earliest <= window.upperBound }
                .map(\.path).sorted()
        }
    }

    private func restore(_ path: String) {
        let fileManager = FileManager.default
        let full = gitDirectory + "/" + path
        if let data = files[path] {
            let permissions = (try? fileManager.attributesOfItem(atPath: full))?[.posixPermissions]
            try? data.write(to: URL(fileURLWithPath: full), options: .atomic)
            if let permissions { try? fileManager.setAttributes([.posixPermissions: permissions], ofItemAtPath: full) }
        } else {
            try? fileManager.removeItem(atPath: full)
        }
    }
}
