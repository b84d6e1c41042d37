import Foundation
import StomperProcess

/// A generated git repository of Python files (100 per folder, about 600 bytes each), some with
/// a ruff-fixable error, built with `git fast-import` and checked out.
struct SyntheticRepository {
    static let marker = "stomper-bench: unused"

    let root: String
    let files: Int
    let initial: String
    let fixablePaths: [String]

    /// Creates (or reuses, if a previous bench run left it complete) the repository at `root`.
    static func make(at root: String, files: Int, fixable: Int) async throws -> SyntheticRepository {
        let fixablePaths = (0..<fixable).map { path(Int(Double($0) * Double(files) / Double(fixable))) }
        let stamp = root + "/.git/stomper-bench-ready"
        if let initial = try? String(contentsOfFile: stamp, encoding: .utf8) {
            let repository = SyntheticRepository(root: root, files: files, initial: initial, fixablePaths: fixablePaths)
            try await repository.reset()
            return repository
        }
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main"], in: root)
        try await git(["config", "user.name", "Bench"], in: root)
        try await git(["config", "user.email", "bench@localhost"], in: root)
        let fixableSet = Set(fixablePaths)
        var stream = Data()
        func blob(_ mark: Int, _ content: String) {
            stream.append(Data("blob\nmark :\(mark)\ndata \(content.utf8.count)\n".utf8))
            stream.append(Data(content.utf8))
            stream.append(Data("\n".utf8))
        }
        let pyproject = "[tool.ruff]\ntarget-version = \"py311\"\n\n[tool.ruff.lint]\nselect = [\"F401\"]\n"
        blob(1, pyproject)
        blob(2, "__pycache__/\n")
        for index in 0..<files {
            let name = path(index)
            blob(index + 3, content(index, fixable: fixableSet.contains(name)))
        }
        let message = "synthetic repository: \(files) files\n"
        stream.append(
            Data(
                "commit refs/heads/main\nmark :\(files + 3)\ncommitter Bench <bench@localhost> 1700000000 +0000\ndata \(message.utf8.count)\n\(message)"
                    .utf8))
        stream.append(Data("M 100644 :1 pyproject.toml\nM 100644 :2 .gitignore\n".utf8))
        for index in 0..<files {
            stream.append(Data("M 100644 :\(index + 3) \(path(index))\n".utf8))
        }
        stream.append(Data("\n".utf8))
        let imported = try await ProcessRunner.run(
            ProcessSpec(
                executable: "git", arguments: ["fast-import", "--quiet"],
                workingDirectory: root, input: [UInt8](stream),
                timeout: .seconds(600)))
        guard imported.exitCode == 0 else { throw BenchError("git fast-import failed: \(imported.stderrText)") }
        try await git(["reset", "-q", "--hard", "main"], in: root)
        try await git(["gc", "-q"], in: root)
        let initial = try await git(["rev-parse", "HEAD"], in: root).trimmingCharacters(in: .whitespacesAndNewlines)
        try Data(initial.utf8).write(to: URL(fileURLWithPath: stamp))
        return SyntheticRepository(root: root, files: files, initial: initial, fixablePaths: fixablePaths)
    }

    static func path(_ index: Int) -> String {
        String(format: "pkg_%04d/mod_%06d.py", index / 100, index)
    }

    static func content(_ index: Int, fixable: Bool) -> String {
        var text = fixable ? "import os  # \(marker)\n\n\n" : ""
        text += """
            \"\"\"Module \(index) of the synthetic benchmark repository.\"\"\"


            def compute_\(index)(values: list[int]) -> int:
                \"\"\"Adds the values and an offset that depends on the module.\"\"\"
                total = 0
                for value in values:
                    total += value * \(index % 7 + 1)
                return total + \(index)


            def describe_\(index)(name: str) -> str:
                \"\"\"Returns a label for the module.\"\"\"
                return f"{name}-\(index)"

            """
        return text
    }

    /// Back to the generated commit, with no stomper state, ready for another scenario. Keeping
    /// worktrees, the pool's worktrees (kept by the last run) stay for the next run to take over.
    func reset(keepingWorktrees: Bool = false) async throws {
        try await Self.git(["reset", "-q", "--hard", initial], in: root)
        let state = root + "/.git/stomper"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []
        where !(keepingWorktrees && entry == "worktrees") {
            try FileManager.default.removeItem(atPath: state + "/" + entry)
        }
        if !keepingWorktrees { try await Self.git(["worktree", "prune"], in: root) }
    }

    @discardableResult
    static func git(_ arguments: [String], in directory: String) async throws -> String {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "git", arguments: arguments, workingDirectory: directory,
                timeout: .seconds(600)))
        guard result.exitCode == 0 else { throw BenchError("git \(arguments.joined(separator: " ")) failed: \(result.stderrText)") }
        return result.stdoutText
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
