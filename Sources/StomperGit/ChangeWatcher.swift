internal import Clibgit2
import Foundation
import Synchronization

/// Learns which paths of a worktree were written, from inotify, so that finding a job's changes
/// and recycling the worktree touch only those paths instead of scanning the whole tree.
///
/// A scan of 50,000 files costs hundreds of milliseconds per job; the watcher makes both steps
/// follow what the job did. Whenever it cannot be sure — the event queue overflowed, a directory was
/// moved or deleted, a watch could not be added — it says so, and the caller falls back to a full
/// status scan. Only Linux has it; elsewhere `start` returns nil and scans are used.
final class ChangeWatcher: Sendable {
    enum Observation: Equatable {
        /// These paths (relative, files or new folders) may have changed since the last `reset`.
        case paths(Set<String>)
        /// Something happened the watcher cannot describe: scan.
        case unknown
    }

    private struct State {
        var directories: [Int32: String] = [:]
        var touched: Set<String> = []
        var lost = false
    }

    private let descriptor: Int32
    private let root: String
    private let state = Mutex(State())

    #if os(Linux)
        private static let mask: UInt32 = UInt32(
            IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO
                | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

        /// Watches every folder under `root` (a fresh worktree). Nil if inotify is unavailable or the
        /// system's watch limit is reached.
        static func start(root: String) -> ChangeWatcher? {
            let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard descriptor >= 0 else { return nil }
            let watcher = ChangeWatcher(descriptor: descriptor, root: root)
            guard watcher.watchTree("") else { return nil }
            return watcher
        }
    #else
        static func start(root: String) -> ChangeWatcher? { nil }
    #endif

    private init(descriptor: Int32, root: String) {
        self.descriptor = descriptor
        self.root = root
    }

    deinit { close(descriptor) }

    /// What may have changed since the last `reset`, after reading every pending event.
    func observe() -> Observation {
        drain()
        return state.withLock { $0.lost ? .unknown : .paths($0.touched) }
    }

    /// Forgets what was observed (after the worktree was brought back to a clean state), reading
    /// and dropping pending events first, which are the reset's own writes.
    func reset() {
        drain()
        state.withLock {
            $0.touched = []
            $0.lost = false
        }
    }

    #if os(Linux)
        /// Adds a watch on `relative` (a folder) and every folder below it, skipping `.git`. With
        /// `markContents`, everything found is recorded as touched: it appeared in a new folder before
        /// that folder had a watch.
        @discardableResult
        private func watchTree(_ relative: String, markContents: Bool = false) -> Bool {
            var pending = [relative]
            while let folder = pending.popLast() {
                let full = folder.isEmpty ? root : root + "/" + folder
                let wd = inotify_add_watch(descriptor, full, Self.mask)
                guard wd >= 0 else {
                    if errno == ENOENT || errno == ENOTDIR { continue }
                    state.withLock { $0.lost = true }
                    return false
                }
                state.withLock { $0.directories[wd] = folder }
                guard let entries = try? FileManager.default.contentsOfDirectory(atPath: full) else { continue }
                for name in entries where !(folder.isEmpty && name == ".git") {
                    let child = folder.isEmpty ? name : folder + "/" + name
                    if markContents { state.withLock { _ = $0.touched.insert(child) } }
                    var info = stat()
                    if lstat(root + "/" + child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                        pending.append(child)
                    }
                }
            }
            return true
        }

        private func drain() {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                var offset = 0
                while offset + 16 <= count {
                    let (wd, eventMask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                        (
                            raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                            raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                            Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                        )
                    }
                    let nameBytes = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
                    offset += 16 + length
                    handle(wd: wd, mask: eventMask, name: String(decoding: nameBytes, as: UTF8.self))
                }
            }
        }

        private func handle(wd: Int32, mask eventMask: UInt32, name: String) {
            if eventMask & UInt32(IN_Q_OVERFLOW) != 0 {
                state.withLock { $0.lost = true }
                return
            }
            if eventMask & UInt32(IN_IGNORED) != 0 {
                state.withLock { _ = $0.directories.removeValue(forKey: wd) }
                return
            }
            guard let folder = state.withLock({ $0.directories[wd] }) else { return }
            if eventMask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                // A watched folder went away or moved: which tracked files went with it is unknown here.
                state.withLock { $0.lost = true }
                return
            }
            let path = folder.isEmpty ? name : folder + "/" + name
            let isDirectory = eventMask & UInt32(IN_ISDIR) != 0
            if isDirectory && eventMask & UInt32(IN_MOVED_FROM | IN_DELETE) != 0 {
                state.withLock { $0.lost = true }
                return
            }
            state.withLock { _ = $0.touched.insert(path) }
            if isDirectory && eventMask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                watchTree(path, markContents: true)
            }
        }
    #else
        private func drain() {}
        private func watchTree(_ relative: String, markContents: Bool = false) -> Bool { false }
    #endif
}
