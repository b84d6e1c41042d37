public import StomperGit

/// Decides whether a patch may land: it must touch only the job's own file (plus configured
/// extra paths), nothing under `.git`, and add no symbolic link that points out of the repository.
public struct PatchScope: Sendable {
    public enum Violation: Sendable, Hashable, CustomStringConvertible {
        case outsideScope(path: String)
        case gitDirectory(path: String)
        case unsafePath(path: String)
        case escapingSymlink(path: String, target: String)
        /// The file being fixed was deleted: its diagnostics vanish, but nothing was fixed.
        case deletedTarget(path: String)

        public var description: String {
            switch self {
            case .outsideScope(let path): return "touches \(path), which is outside the file being fixed"
            case .gitDirectory(let path): return "writes under .git (\(path))"
            case .unsafePath(let path): return "uses a path that is absolute or leaves the repository (\(path))"
            case .escapingSymlink(let path, let target):
                return "adds a symbolic link \(path) that points outside the repository (\(target))"
            case .deletedTarget(let path): return "deletes \(path), the file being fixed"
            }
        }
    }

    public var allowedPaths: Set<String>
    public var target: String

    /// `target` is the file being fixed; `extraAllowed` are further paths a fix may touch.
    public init(target: String, extraAllowed: [String] = []) {
        self.target = target
        allowedPaths = Set([target] + extraAllowed)
    }

    /// Every violation, in path order; empty means the patch may land.
    public func violations(of patch: Patch) -> [Violation] {
        var found: [Violation] = []
        for change in patch.changes {
            let components = change.path.split(separator: "/", omittingEmptySubsequences: false)
            if components.contains(where: { $0.lowercased() == ".git" }) {
                found.append(.gitDirectory(path: change.path))
                continue
            }
            if change.path.hasPrefix("/") || components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
                found.append(.unsafePath(path: change.path))
                continue
            }
            if !allowedPaths.contains(change.path) {
                found.append(.outsideScope(path: change.path))
                continue
            }
            if change.path == target && change.new == nil {
                found.append(.deletedTarget(path: change.path))
                continue
            }
            if let new = change.new, new.mode == .symlink {
                let target = String(decoding: new.bytes, as: UTF8.self)
                if Self.escapes(link: change.path, target: target) {
                    found.append(.escapingSymlink(path: change.path, target: target))
                }
            }
        }
        return found
    }

    /// Whether a link at `link` (relative to the root) whose content is `target` resolves outside
    /// the root, or into `.git`, judged lexically.
    static func escapes(link: String, target: String) -> Bool {
        if target.hasPrefix("/") { return true }
        var stack = link.split(separator: "/").dropLast().map(String.init)
        for component in target.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                if stack.isEmpty { return true }
                stack.removeLast()
            default:
                stack.append(String(component))
            }
        }
        return stack.contains { $0.lowercased() == ".git" }
    }
}
