public import StomperGit

/// Decides whether a patch may land: it must touch only the job's own file (plus configured
/// extra paths), nothing under `.git`, add no symbolic link anywhere (a link is how an agent
/// reaches outside the worktree, and no lint fix needs one), not turn the file being fixed into a
/// link, not empty a file that held something, and not leave bytes that are not UTF-8 where the
/// file was UTF-8 text (the linter then fails to read it and reports nothing — which looks fixed).
public struct PatchScope: Sendable {
    public enum Violation: Sendable, Hashable, CustomStringConvertible {
        case outsideScope(path: String)
        case gitDirectory(path: String)
        case unsafePath(path: String)
        case escapingSymlink(path: String, target: String)
        /// The file being fixed was deleted: its diagnostics vanish, but nothing was fixed.
        case deletedTarget(path: String)
        /// The file being fixed became a symbolic link (mode 120000), wherever it points.
        case targetIsSymlink(path: String, target: String)
        /// A new symbolic link anywhere in the patch.
        case newSymlink(path: String, target: String)
        /// A file that held bytes was emptied.
        case emptied(path: String)
        /// A text file's new bytes are not valid UTF-8 (the old ones were).
        case invalidUTF8(path: String)

        public var description: String {
            switch self {
            case .outsideScope(let path): return "touches \(path), which is outside the file being fixed"
            case .gitDirectory(let path): return "writes under .git (\(path))"
            case .unsafePath(let path): return "uses a path that is absolute or leaves the repository (\(path))"
            case .escapingSymlink(let path, let target):
                return "adds a symbolic link \(path) that points outside the repository (\(target))"
            case .deletedTarget(let path): return "deletes \(path), the file being fixed"
            case .targetIsSymlink(let path, let target):
                return "turns \(path), the file being fixed, into a symbolic link (to \(target))"
            case .newSymlink(let path, let target): return "adds a symbolic link \(path) (to \(target))"
            case .emptied(let path): return "the fix emptied \(path)"
            case .invalidUTF8(let path): return "the fix left bytes in \(path) that are not valid UTF-8"
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

    /// The blob id of empty content.
    static let emptyBlob = ObjectID(hex: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")!

    /// Every violation, in path order; empty means the patch may land.
    ///
    /// `oldContents` holds what the base had at (some of) the patch's paths; with it, a file's
    /// new bytes are held to UTF-8 only if its old ones were UTF-8 text. Without it, the file
    /// being fixed is held to UTF-8 whenever its new bytes look like text (no NUL byte), as every
    /// linter stomper runs reads UTF-8.
    public func violations(of patch: Patch, oldContents: [String: [UInt8]] = [:]) -> [Violation] {
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
            guard let new = change.new else {
                if change.path == target { found.append(.deletedTarget(path: change.path)) }
                continue
            }
            if new.mode == .symlink {
                let destination = String(decoding: new.bytes, as: UTF8.self)
                if change.path == target {
                    found.append(.targetIsSymlink(path: change.path, target: destination))
                } else if Self.escapes(link: change.path, target: destination) {
                    found.append(.escapingSymlink(path: change.path, target: destination))
                } else if change.old?.mode != .symlink || change.old?.id != new.id {
                    found.append(.newSymlink(path: change.path, target: destination))
                }
                continue
            }
            if new.bytes.isEmpty, let old = change.old, old.id != Self.emptyBlob, old.mode != .symlink {
                found.append(.emptied(path: change.path))
                continue
            }
            if Self.isText(new.bytes), String(validating: new.bytes, as: UTF8.self) == nil {
                let oldWasUTF8: Bool
                if let old = oldContents[change.path] {
                    oldWasUTF8 = Self.isText(old) && String(validating: old, as: UTF8.self) != nil
                } else {
                    oldWasUTF8 = change.path == target
                }
                if oldWasUTF8 { found.append(.invalidUTF8(path: change.path)) }
            }
        }
        return found
    }

    /// Git's heuristic: no NUL byte in the first 8000 bytes means text.
    static func isText(_ bytes: [UInt8]) -> Bool {
        !bytes.prefix(8000).contains(0)
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
