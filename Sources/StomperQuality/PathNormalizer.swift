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
