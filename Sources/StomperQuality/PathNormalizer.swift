import Foundation

/// Turns the absolute paths tools print into paths relative to the repository root.
///
/// Both the root and each path are compared as given and after resolving symbolic links, so a
/// root reached through a link (`/tmp` → `/private/tmp`) still matches.
struct PathNormalizer {
    private let prefixes: [String]

    init(root: String) {
        let resolved = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        prefixes = Array(Set([root, resolved].map { $0.hasSuffix("/") ? $0 : $0 + "/" }))
    }

    func relative(_ path: String) -> String {
        guard path.hasPrefix("/") else {
            return path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        }
        for prefix in prefixes where path.hasPrefix(prefix) {
            return String(path.dropFirst(prefix.count))
        }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        for prefix in prefixes where resolved.hasPrefix(prefix) {
            return String(resolved.dropFirst(prefix.count))
        }
        return path
    }
}

extension PathNormalizer {
    /// Python files a Python tool takes: `.py` and `.pyi` (plus `.ipynb` for ruff).
    static let pythonExtensions = [".py", ".pyi"]

    /// nil for "the whole tree" (no paths); otherwise the folders among `paths` and the files with
    /// one of `extensions`. A named file of another language (a shell script in a linter set)
    /// would come back from a Python tool as a syntax error.
    static func pythonPaths(_ paths: [String], root: String, extensions: [String] = pythonExtensions) -> [String]? {
        guard !paths.isEmpty else { return nil }
        return paths.filter { path in
            extensions.contains(where: path.hasSuffix) || isDirectory(path.hasPrefix("/") ? path : root + "/" + path)
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
