import Foundation

/// A containment policy for a child process, enforced by running it under bubblewrap (`bwrap`).
///
/// Inside, the whole filesystem is read-only (`--ro-bind / /`) except the `writable` paths, `/tmp`
/// is a private tmpfs, `/dev` and `/proc` are the sandbox's own, the process is pid 1's child in a
/// new PID namespace, and without `network` it has a network namespace of its own (loopback only).
///
/// Invariants the argument list keeps:
/// - Binds are applied shallowest first, so a deeper bind always wins over a shallower one: the
///   worktree `<common>/stomper/worktrees/<name>` is writable although the common git directory
///   around it is read-only, and a read-only path inside a writable one (the common git directory
///   inside a writable main working tree) stays read-only. At equal depth read-only wins.
/// - Paths the private `/tmp` would hide but the process must read (its executable's folder, the
///   folders of `PATH`, its working directory, absolute paths among its arguments, the `readOnly`
///   paths) are bound read-only again.
/// - When the sandbox's pid 1 ends, the kernel kills every process left in the namespace, so
///   nothing the command started outlives it; `--die-with-parent` ends the sandbox with the
///   `bwrap` process stomper started, which is what the runner's timeout and cancellation kill.
/// - No `--new-session`: `ProcessRunner` already starts bwrap in a session of its own with no
///   controlling terminal (so no terminal to inject input into), and the sandbox's pid 1 staying
///   in bwrap's process group is how the runner knows the whole sandbox has ended.
public struct Sandbox: Sendable, Hashable {
    /// The most arguments bubblewrap accepts, its own and the command's together (`MAX_ARGS`).
    public static let maximumArguments = 9000

    /// Absolute path of the `bwrap` executable.
    public var bwrap: String
    /// Bound read-write; each must exist (a missing one fails the launch, loudly).
    public var writable: [String]
    /// Bound read-write when they exist when the process starts (an agent CLI's settings folders).
    public var writableIfPresent: [String]
    /// Kept read-only even when inside a writable path, and visible even under `/tmp`.
    public var readOnly: [String]
    /// Whether the process may use the network; without it, it gets a network namespace of its own.
    public var network: Bool

    public init(
        bwrap: String, writable: [String] = [], writableIfPresent: [String] = [], readOnly: [String] = [],
        network: Bool = false
    ) {
        self.bwrap = bwrap
        self.writable = writable
        self.writableIfPresent = writableIfPresent
        self.readOnly = readOnly
        self.network = network
    }

    /// The sandbox a process started in this task runs in when its `ProcessSpec` names none.
    ///
    /// Set by code that runs tools whose process specs it does not build itself (a `LinterSet`
    /// linting a worktree); child tasks inherit it. An explicit `ProcessSpec.sandbox` wins.
    @TaskLocal public static var current: Sandbox?

    /// The folder the sandbox replaces with an empty private one.
    public static let privateTemporaryDirectory = "/tmp"

    /// This policy with `paths` writable too (the job's worktree, the run's scratch folder).
    public func writing(_ paths: String...) -> Sandbox {
        var copy = self
        copy.writable += paths
        return copy
    }

    /// This policy with the network allowed or not.
    public func withNetwork(_ allowed: Bool) -> Sandbox {
        var copy = self
        copy.network = allowed
        return copy
    }

    /// The arguments given to `bwrap` to run `executable` (already resolved to a path) with the
    /// spec's arguments. `searchPath` is the `PATH` the process gets.
    public func arguments(for spec: ProcessSpec, executable: String, searchPath: String) -> [String] {
        var arguments = [
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", Self.privateTemporaryDirectory,
            "--unshare-pid", "--unshare-ipc", "--die-with-parent",
        ]
        if !network { arguments.append("--unshare-net") }
        for mount in mounts(
            executable: executable, arguments: spec.arguments, workingDirectory: spec.workingDirectory,
            searchPath: searchPath)
        {
            arguments += [mount.option, mount.path, mount.path]
        }
        arguments += ["--setenv", "TMPDIR", Self.privateTemporaryDirectory]
        if let directory = spec.workingDirectory { arguments += ["--chdir", Self.absolute(directory)] }
        return arguments + ["--", executable] + spec.arguments
    }

    struct Mount: Hashable {
        enum Access: Int { case readWrite, readWriteIfPresent, readOnly, visible }
        var path: String
        var access: Access

        var option: String {
            switch access {
            case .readWrite: return "--bind"
            case .readWriteIfPresent: return "--bind-try"
            case .readOnly: return "--ro-bind"
            case .visible: return "--ro-bind-try"
            }
        }

        var depth: Int { path.split(separator: "/").count }
    }

    /// Every bind after the root's, in the order they must be applied.
    func mounts(executable: String, arguments: [String] = [], workingDirectory: String?, searchPath: String) -> [Mount] {
        var mounts =
            writable.map { Mount(path: Self.absolute($0), access: .readWrite) }
            + writableIfPresent.map { Mount(path: Self.absolute($0), access: .readWriteIfPresent) }
            + readOnly.map { Mount(path: Self.absolute($0), access: .readOnly) }
        let writablePaths = mounts.filter { $0.access != .readOnly }.map(\.path)
        // What the private /tmp hides and the process needs to see; inside a writable path it is
        // visible already (and binding it read-only there would take the write access away).
        var needed = [(executable as NSString).deletingLastPathComponent]
        needed += searchPath.split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
        if let workingDirectory { needed.append(Self.absolute(workingDirectory)) }
        // Absolute paths on the command line (a script run by an interpreter, a script file the
        // agent reads): bound only if they exist (`--ro-bind-try`).
        needed += arguments.filter { $0.hasPrefix("/") && $0.utf8.count < 4096 && !$0.contains("\n") }
        for path in needed.map(Self.absolute)
        where Self.isInside(path, Self.privateTemporaryDirectory)
            && !writablePaths.contains(where: { Self.isInside(path, $0) })
        {
            mounts.append(Mount(path: path, access: .visible))
        }
        var seen = Set<String>()
        let unique = mounts.filter { seen.insert("\($0.access.rawValue)\u{0}\($0.path)").inserted }
        // Stable: shallower first; at equal depth writable before read-only, so read-only wins.
        return unique.enumerated().sorted { lhs, rhs in
            let (left, right) = (lhs.element, rhs.element)
            if left.depth != right.depth { return left.depth < right.depth }
            let (leftRank, rightRank) = (
                left.access == .readOnly || left.access == .visible ? 1 : 0,
                right.access == .readOnly || right.access == .visible ? 1 : 0
            )
            if leftRank != rightRank { return leftRank < rightRank }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// `path` without `.`, `..`, doubled or trailing slashes; relative paths are taken from the
    /// current directory.
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    /// True if `path` is `folder` or below it.
    static func isInside(_ path: String, _ folder: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder + "/")
    }
}
