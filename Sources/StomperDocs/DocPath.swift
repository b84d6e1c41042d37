/// Where the doc of a source file lives: `src/pkg/mod.py` → `<folder>/src_pkg_mod.py.md`.
///
/// The name flattens the source's folders with `_`, so every doc sits directly in one folder and
/// the doc's name alone says which source it describes. Flattening is not injective
/// (`a_b/c.py` and `a/b_c.py` share a name); repositories that hit that should pick one layout.
public enum DocPath {
    /// The docs folder, relative to the repository root, when the configuration names none.
    public static let defaultFolder = "docs/stomper"

    /// The repo-relative path of the doc of `source` (repo-relative, slash-separated).
    ///
    /// Throws `.invalidPath` for an empty or absolute path, a `..` component, or a path naming a
    /// folder (trailing `/`); the same rules apply to `folder`, which may be `.` for the root.
    public static func `for`(source: String, folder: String = defaultFolder) throws(DocsError) -> String {
        let name = try fileName(for: source)
        let folderComponents = try components(of: folder, what: "docs folder", allowRoot: true)
        return (folderComponents + [name]).joined(separator: "/")
    }

    /// The doc's file name alone: the source's components joined with `_`, plus `.md`.
    public static func fileName(for source: String) throws(DocsError) -> String {
        try components(of: source, what: "source path", allowRoot: false).joined(separator: "_") + ".md"
    }

    /// True if `path` (repo-relative) lies inside `folder`: docs are never documented themselves.
    public static func isInside(_ path: String, folder: String = defaultFolder) -> Bool {
        guard let pathComponents = try? components(of: path, what: "path", allowRoot: false),
            let folderComponents = try? components(of: folder, what: "docs folder", allowRoot: true)
        else { return false }
        return pathComponents.count > folderComponents.count
            && Array(pathComponents.prefix(folderComponents.count)) == folderComponents
    }

    /// The path's components with `.` and empty ones (`a//b`) dropped.
    private static func components(of path: String, what: String, allowRoot: Bool) throws(DocsError) -> [String] {
        guard !path.isEmpty else { throw DocsError(.invalidPath, "the \(what) is empty") }
        guard !path.hasPrefix("/") else {
            throw DocsError(.invalidPath, "the \(what) \(path) is absolute; give it relative to the repository root", path: path)
        }
        guard !path.contains("\0") else { throw DocsError(.invalidPath, "the \(what) contains a NUL byte", path: path) }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !parts.contains("..") else {
            throw DocsError(.invalidPath, "the \(what) \(path) contains '..'; it must stay inside the repository", path: path)
        }
        let kept = parts.filter { $0 != "." }
        if !allowRoot {
            guard !path.hasSuffix("/"), !kept.isEmpty else {
                throw DocsError(.invalidPath, "the \(what) \(path) names a folder, not a file", path: path)
            }
        }
        return kept
    }
}
