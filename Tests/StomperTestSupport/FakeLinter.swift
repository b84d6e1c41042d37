public import StomperQuality
import Foundation

/// A `Linter` for pipeline tests whose diagnostics are written in the files themselves: a line
/// holding `# ERR:CODE` has a diagnostic CODE there (not fixable by the tool), `# FIX:CODE` one
/// the tool marks fixable. A line may hold several markers.
///
/// `flagging` maps a piece of text to a code: every line containing it is reported too. It stands
/// for the linter's own configuration (a rule switched on in `pyproject.toml`), which is not part
/// of the version, so changing it keeps idempotency keys the same.
public struct FakeLinter: Linter {
    public let name: String
    public let toolVersion: String
    public let flagging: [String: String]

    public init(name: String = "fake", version: String = "1.0", flagging: [String: String] = [:]) {
        self.name = name
        self.toolVersion = version
        self.flagging = flagging
    }

    public func version() async throws -> String { toolVersion }

    /// No fixer of its own: the fake agents do the fixing.
    public func fixCommand(path: String, root: String) -> FixCommand? { nil }

    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        try files(paths, root: root).flatMap { path -> [Diagnostic] in
            guard let data = FileManager.default.contents(atPath: root + "/" + path) else { return [] }
            return diagnostics(in: String(decoding: data, as: UTF8.self), path: path)
        }
    }

    /// The diagnostics of one file's text.
    public func diagnostics(in text: String, path: String) -> [Diagnostic] {
        var found: [Diagnostic] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for match in line.matches(of: /# (ERR|FIX):([A-Za-z0-9]+)/) {
                found.append(
                    Diagnostic(
                        tool: name, path: path, line: index + 1, column: 1, code: String(match.2),
                        message: "marker \(match.2)", fixable: match.1 == "FIX"))
            }
            for (text, code) in flagging.sorted(by: { $0.key < $1.key }) where line.contains(text) {
                found.append(Diagnostic(tool: name, path: path, line: index + 1, column: 1, code: code, message: "flagged \(text)"))
            }
        }
        return found
    }

    /// The files `paths` name under `root` (folders walked, `.git` left out); empty means all.
    private func files(_ paths: [String], root: String) throws -> [String] {
        let manager = FileManager.default
        var result: [String] = []
        for path in paths.isEmpty ? [""] : paths {
            let full = path.isEmpty ? root : root + "/" + path
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: full, isDirectory: &isFolder) else { continue }
            guard isFolder.boolValue else {
                result.append(path)
                continue
            }
            for child in try manager.subpathsOfDirectory(atPath: full) {
                guard !child.split(separator: "/").contains(".git") else { continue }
                var childIsFolder: ObjCBool = false
                let relative = path.isEmpty ? child : path + "/" + child
                if manager.fileExists(atPath: root + "/" + relative, isDirectory: &childIsFolder), !childIsFolder.boolValue {
                    result.append(relative)
                }
            }
        }
        return result.sorted()
    }
}
