import Foundation
import StomperAgents
import StomperGit
import StomperQuality
internal import TOMLKit

/// `fix.worktree`: what each job's worktree holds.
public enum WorktreeMode: String, Sendable, CaseIterable, Codable {
    /// Sparse when the fixers and linters allow it, else full.
    case auto
    /// Sparse; a run whose fixers or linters need the whole tree is refused.
    case sparse
    /// Every job gets a full checkout.
    case full
}

extension Pipeline {
    /// Why this pipeline's jobs need the whole tree, or nil when a sparse worktree is enough:
    /// every fixer reads only its file (autofix, the chat agent), every linter only the file and
    /// its configuration (ruff, ruff-format, shellcheck), and no test command runs in the job's
    /// worktree (`verify.test_scope = "final"` runs the suite in a full worktree of its own).
    public var wholeTreeReason: String? {
        if let agent = agents.first(where: { !$0.readsOnlyItsFile }) {
            return "the \(agent.identity.kind) agent `\(agent.identity.name)` reads the project"
        }
        let linters = (linter as? LinterSet)?.linters ?? [linter]
        if let reader = linters.first(where: { !$0.readsOnlyConfiguration }) {
            return "the linter `\(reader.name)` reads the whole tree"
        }
        if let tests, tests.scope != .final { return "the test command runs in each job's worktree" }
        return nil
    }

    /// Whether jobs get sparse worktrees (`fix.worktree`). Throws for `sparse` when something
    /// needs the whole tree, naming it.
    public func usesSparseWorktrees() throws -> Bool {
        switch configuration.worktreeMode {
        case .full: return false
        case .auto: return wholeTreeReason == nil
        case .sparse:
            guard let reason = wholeTreeReason else { return true }
            throw CoreError(
                .invalidSetting,
                "fix.worktree = \"sparse\" cannot be used: \(reason); set fix.worktree = \"auto\" (sparse only where it is safe) or \"full\"")
        }
    }
}

/// What a sparse worktree holds for one file: the file, and everything the fixers and linters
/// that allow sparse worktrees read when they handle it.
///
/// - On the way to the file (the root and each folder above it): the linters' configuration
///   (`pyproject.toml`, `ruff.toml`, `.ruff.toml`, `setup.cfg`, `tox.ini`, `.shellcheckrc`,
///   `.editorconfig`), git's (`.gitattributes`, `.gitignore`: what a change is, as in a full
///   worktree) and the package markers (`__init__.py`, `__init__.pyi`: ruff finds a file's
///   package and namespace-package findings by them).
/// - What ruff's configuration names: the files it `extend`s, followed, and its `src` roots.
/// - For a Python file, the modules it imports, in each source root (the configuration's folder,
///   its `src`, and `src` entries): ruff tells first-party imports from others by whether
///   `ROOT/a/b.py`, `ROOT/a/b.pyi` or `ROOT/a/b/` exist, and the folders are all there.
///
/// Nil (a full worktree) when it cannot be sure: a file that is a link or a notebook, a `src`
/// entry with a glob, a shell script under a `.shellcheckrc` that follows sourced files.
struct SparseSelection: Sendable {
    static let configurationNames: Set<String> = [
        "pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "tox.ini", ".shellcheckrc", ".editorconfig",
        ".gitattributes", ".gitignore", "__init__.py", "__init__.pyi",
    ]
    static let ruffConfigurations: Set<String> = ["pyproject.toml", "ruff.toml", ".ruff.toml"]

    func paths(for file: String, in tree: SparseTree) -> Set<String>? {
        guard let entry = tree.entry(file), entry.mode == .regular || entry.mode == .executable else { return nil }
        if file.hasSuffix(".ipynb") { return nil }
        var selected: Set<String> = [file]
        var configurations: [String] = []
        for folder in Self.folders(above: file) {
            for name in tree.files(in: folder) where Self.configurationNames.contains(name) {
                let path = Self.join(folder, name)
                selected.insert(path)
                if Self.ruffConfigurations.contains(name) { configurations.append(path) }
                if name == ".shellcheckrc", !Self.isPython(file), Self.followsSources(tree.contents(of: path)) { return nil }
            }
        }
        // ruff's default source roots are the project root and its `src`.
        var roots: Set<String> = ["", "src"]
        var seen = Set<String>()
        while let configuration = configurations.popLast() {
            guard seen.insert(configuration).inserted else { continue }
            let folder = Self.parent(of: configuration)
            roots.formUnion([folder, Self.join(folder, "src")])
            guard let settings = Self.ruffSettings(configuration, in: tree) else { continue }
            if let extended = settings["extend"]?.string, let target = Self.resolve(extended, in: folder), tree.entry(target) != nil {
                selected.insert(target)
                configurations.append(target)
            }
            for source in settings["src"]?.array ?? TOMLArray() {
                guard let source = source.string, !source.contains("*"), !source.contains("?"), !source.contains("[") else { return nil }
                if let root = Self.resolve(source, in: folder) { roots.insert(root) }
            }
        }
        if Self.isPython(file), let bytes = tree.contents(of: file) {
            for module in Self.importedModules(String(decoding: bytes, as: UTF8.self)) {
                for root in roots {
                    var prefix = root
                    for component in module.split(separator: ".") {
                        prefix = Self.join(prefix, String(component))
                        for candidate in [prefix + ".py", prefix + ".pyi", prefix + "/__init__.py", prefix + "/__init__.pyi"]
                        where tree.entry(candidate) != nil {
                            selected.insert(candidate)
                        }
                        if !tree.isFolder(prefix) { break }
                    }
                }
            }
        }
        return selected
    }

    /// The `[tool.ruff]` table of a `pyproject.toml`, or a `ruff.toml`'s top level.
    private static func ruffSettings(_ path: String, in tree: SparseTree) -> TOMLTable? {
        guard let bytes = tree.contents(of: path), let table = try? TOMLTable(string: String(decoding: bytes, as: UTF8.self)) else {
            return nil
        }
        if path.hasSuffix("pyproject.toml") { return table["tool"]?.table?["ruff"]?.table }
        return table
    }

    /// Whether a `.shellcheckrc` makes shellcheck read sourced files.
    private static func followsSources(_ bytes: [UInt8]?) -> Bool {
        guard let bytes else { return false }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains("external-sources") || text.contains("source-path")
    }

    static func isPython(_ path: String) -> Bool { path.hasSuffix(".py") || path.hasSuffix(".pyi") }

    /// The absolute modules a Python source names in `import` and `from … import` statements
    /// (relative ones are told by their dots, not by files). Lines in strings may add a few
    /// modules more; an extra file in the worktree changes nothing.
    static func importedModules(_ source: String) -> Set<String> {
        var modules = Set<String>()
        for line in source.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first else { continue }
            if first == "from", words.count > 1 {
                let name = String(words[1])
                if !name.hasPrefix(".") && Self.isModuleName(name) { modules.insert(name) }
            } else if first == "import" {
                let rest = line.drop(while: { $0 == " " || $0 == "\t" }).dropFirst("import".count)
                for part in rest.split(separator: ",") {
                    let name = String(part.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" || $0 == ")" }).first ?? "")
                    if Self.isModuleName(name) { modules.insert(name) }
                }
            }
        }
        return modules
    }

    private static func isModuleName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0 == "." || $0 == "_" || $0.isLetter || $0.isNumber }
    }

    /// The root and every folder above `file`, shallowest first.
    static func folders(above file: String) -> [String] {
        var folders = [""]
        var current = ""
        for component in file.split(separator: "/").dropLast() {
            current = join(current, String(component))
            folders.append(current)
        }
        return folders
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func join(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }

    /// `path` (relative to `folder`) as a path of the tree; nil when absolute or outside it.
    static func resolve(_ path: String, in folder: String) -> String? {
        guard !path.hasPrefix("/"), !path.hasPrefix("~") else { return nil }
        var components = folder.split(separator: "/").map(String.init)
        for component in path.split(separator: "/") {
            switch component {
            case ".", "": continue
            case "..":
                guard !components.isEmpty else { return nil }
                components.removeLast()
            default: components.append(String(component))
            }
        }
        return components.joined(separator: "/")
    }
}
