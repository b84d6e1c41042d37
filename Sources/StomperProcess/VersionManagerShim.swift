import Foundation

/// Version managers (pyenv, asdf) put scripts called shims on `PATH` that look up, on every call,
/// which real program to run: `~/.pyenv/shims/ruff` runs bash, then `pyenv exec`, then ruff.
/// That costs about 60 ms of CPU per call here, several times what ruff itself takes on a file,
/// and stomper runs a linter once per file verified. `resolve` asks the manager once, in the
/// repository, which program its shim would run, so every later call goes straight to it.
public enum VersionManagerShim {
    /// The program a shim named `executable` (a `PATH` name or a path) would run when called in
    /// `directory`, or `executable` itself when it is not a pyenv or asdf shim or the manager
    /// cannot say (then the shim keeps doing its job, only slower). `environment` (for `PATH`)
    /// defaults to this process's.
    public static func resolve(
        _ executable: String, in directory: String,
        environment: [String: String]? = nil
    ) async -> String {
        guard let path = locate(executable, environment: environment ?? ProcessInfo.processInfo.environment),
            let shim = Shim(scriptAt: path)
        else { return executable }
        let program = (path as NSString).lastPathComponent
        var variables: [String: String?] = [:]
        if let root = shim.root { variables[shim.rootVariable] = root }
        let spec = ProcessSpec(
            executable: shim.manager, arguments: ["which", program], workingDirectory: directory,
            environment: variables, timeout: .seconds(20))
        guard let result = try? await ProcessRunner.run(spec), result.exitCode == 0 else { return executable }
        let resolved = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard resolved.hasPrefix("/"), !resolved.contains("\n"), resolved != path,
            FileManager.default.isExecutableFile(atPath: resolved),
            Shim(scriptAt: resolved) == nil
        else { return executable }
        return resolved
    }

    /// `executable` as the process runner would find it: itself when it names a path, else the
    /// first executable file of that name in `PATH`.
    public static func locate(_ executable: String, environment: [String: String]) -> String? {
        if executable.contains("/") {
            return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil
        }
        for folder in (environment["PATH"] ?? "").split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// What a shim script says about its manager: the `exec MANAGER exec "$program"` line, and the
    /// manager's root folder when the script exports it (pyenv's shims do).
    struct Shim: Equatable {
        var manager: String
        var root: String?
        var rootVariable: String

        /// nil when the file at `path` is not a small script of that shape.
        init?(scriptAt path: String) {
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            guard let head = try? handle.read(upToCount: 4096), head.starts(with: Array("#!".utf8)) else { return nil }
            let text = String(decoding: head, as: UTF8.self)
            guard let (manager, kind) = text.split(separator: "\n").lazy.compactMap(Self.execLine).first else { return nil }
            let variable = kind == "pyenv" ? "PYENV_ROOT" : "ASDF_DIR"
            self.manager = manager
            self.rootVariable = variable
            self.root = text.split(separator: "\n").lazy.compactMap { Self.exported(variable, in: $0) }.first
        }

        /// `exec "/root/.pyenv/libexec/pyenv" exec "$program" "$@"` → ("/root/.pyenv/libexec/pyenv", "pyenv");
        /// `exec asdf exec "ruff" "$@"` → ("asdf", "asdf").
        static func execLine(_ line: Substring) -> (String, String)? {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
            guard words.count >= 3, words[0] == "exec", words[2] == "exec" else { return nil }
            let kind = (words[1] as NSString).lastPathComponent
            guard kind == "pyenv" || kind == "asdf" else { return nil }
            return (words[1], kind)
        }

        /// `export PYENV_ROOT="/root/.pyenv"` → "/root/.pyenv".
        static func exported(_ variable: String, in line: Substring) -> String? {
            let prefix = "export \(variable)="
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(prefix) else { return nil }
            let value = trimmed.dropFirst(prefix.count).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            return value.isEmpty ? nil : value
        }
    }
}
