import Foundation
import StomperGit
import Synchronization

/// Detects, and unless told not to undoes, agent writes to the repository's git directory: its
/// config, hooks and info files, and HEAD. These steer every later git command (a hook runs code
/// on commit), and no fix ever needs to change them.
///
/// The snapshot is taken once, before any agent runs, so that a restore never brings back another
/// agent's write. Agents run in parallel, so a write is pinned to a time, not to whoever noticed it:
/// a changed file's modification time (a removed file: the span since the previous clean scan), and
/// only jobs whose agent was running then are held responsible.
///
/// Nothing is read or written through a symbolic link: the snapshot records a link as a link, and
/// a restore goes through `ConfinedDirectory` — `hooks` replaced by a link to an outside folder
/// gets the link removed and the folder recreated, with every file at its recorded mode.
///
/// With `restoring: false` the guard only detects: each difference is reported once and then
/// taken as the new normal. When agents cannot write the common directory (the sandbox mounts it
/// read-only), every change there is the user's own (`git config`, `git remote add`, an edit of
/// `info/exclude`), and restoring the snapshot would revert it.
final class GitDirectoryGuard: Sendable {
    /// One write under `.git`, and when it happened.
    struct Incident: Sendable, Hashable {
        var path: String
        var earliest: Date
        var latest: Date
        /// When a scan found it. A write found before an agent started cannot be that agent's.
        var detected: Date
    }

    /// What the snapshot holds at one path.
    enum Entry: Sendable, Hashable {
        case file(Data, permissions: UInt32)
        case link(String)
    }

    private struct State {
        /// What the directory is compared with: the snapshot, or (detect-only) the last scan.
        var reference: [String: Entry]
        var incidents: [Incident] = []
        var lastClean: Date
    }

    let gitDirectory: String
    /// Whether differences are undone (true) or only reported (false).
    let restoring: Bool
    private let state: Mutex<State>

    /// Files and folders watched, relative to the git directory.
    static let watchedFiles = ["config", "HEAD"]
    static let watchedFolders = ["hooks", "info"]
    /// File-system timestamps come from a coarse clock (a few milliseconds on Linux).
    static let clockSlack: TimeInterval = 0.02

    init(gitDirectory: String, restoring: Bool = true) {
        self.gitDirectory = gitDirectory
        self.restoring = restoring
        state = Mutex(State(reference: Self.read(gitDirectory), lastClean: Date()))
    }

    // MARK: - Reading, never following a link

    static func read(_ root: String) -> [String: Entry] {
        var result: [String: Entry] = [:]
        for name in watchedFiles + watchedFolders { collect(name, root: root, into: &result) }
        return result
    }

    private static func collect(_ relative: String, root: String, into result: inout [String: Entry]) {
        let full = root + "/" + relative
        var info = stat()
        guard lstat(full, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            result[relative] = .link((try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "")
        case S_IFDIR:
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).sorted() {
                collect(relative + "/" + name, root: root, into: &result)
            }
        case S_IFREG:
            result[relative] = .file(readFile(full) ?? Data(), permissions: UInt32(info.st_mode & 0o7777))
        default:
            return
        }
    }

    /// The bytes of a regular file, opened without following a link.
    private static func readFile(_ path: String) -> Data? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true).readDataToEndOfFile()
    }

    // MARK: - Checking

    /// Compares the git directory with the snapshot, restores any difference (unless
    /// detect-only), and returns the changed paths written while an agent ran between `start`
    /// and `end`. Throws when a restore fails: the run must stop, since the repository's hooks or
    /// config may now be an agent's.
    func check(duringAgentRun start: Date, _ end: Date) throws(CoreError) -> [String] {
        try state.withLock { (state) throws(CoreError) -> [String] in
            let now = Date()
            let current = Self.read(gitDirectory)
            let changed = Set(state.reference.keys).union(current.keys).filter { state.reference[$0] != current[$0] }.sorted()
            for path in changed {
                var info = stat()
                let modified =
                    lstat(gitDirectory + "/" + path, &info) == 0
                    ? Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
                    : nil
                state.incidents.append(
                    Incident(
                        path: path, earliest: modified ?? state.lastClean, latest: modified ?? now,
                        detected: now))
            }
            if restoring {
                try restore(changed, to: state.reference, from: current)
            } else {
                state.reference = current
            }
            state.lastClean = now
            let window = start.addingTimeInterval(-Self.clockSlack)...end.addingTimeInterval(Self.clockSlack)
            return Set(
                state.incidents
                    .filter { $0.detected >= start && $0.latest >= window.lowerBound && $0.earliest <= window.upperBound }
                    .map(\.path)
            ).sorted()
        }
    }

    /// The same check for callers that cannot stop the run yet: a restore that fails reports
    /// every changed path as an incident of this agent run (so nothing of the job lands) and
    /// leaves the difference for the next scan, which tries again. Prefer `check`.
    func incidents(duringAgentRun start: Date, _ end: Date) -> [String] {
        do {
            return try check(duringAgentRun: start, end)
        } catch {
            let current = Self.read(gitDirectory)
            return state.withLock { state in
                Set(state.reference.keys).union(current.keys).filter { state.reference[$0] != current[$0] }.sorted()
            }
        }
    }

    /// Puts `paths` back as `reference` holds them: what was added is removed first (a link in
    /// place of a folder goes before the folder's files come back), then files and links are
    /// written, atomically, at their recorded modes, never through a link.
    private func restore(_ paths: [String], to reference: [String: Entry], from current: [String: Entry]) throws(CoreError) {
        let directory = ConfinedDirectory(root: gitDirectory)
        do throws(GitError) {
            for path in paths where reference[path] == nil {
                try directory.remove(path)
            }
            for path in paths {
                switch reference[path] {
                case .file(let data, let permissions)?:
                    try directory.replace(path, with: [UInt8](data), permissions: permissions)
                case .link(let destination)?:
                    try directory.replace(path, symlinkTo: destination)
                case nil:
                    continue
                }
            }
        } catch {
            throw CoreError(
                .restoreFailed,
                "cannot restore \(gitDirectory) after an agent wrote there (\(error)); stop, check its config, "
                    + "HEAD, hooks/ and info/ by hand (an agent's hook runs on your next commit), then resume",
                underlying: error)
        }
    }
}
