import Foundation
import StomperProcess
import Testing

/// The real aider CLI, pinned, in a virtual environment created once and kept between runs
/// (`~/.cache/stomper-tests/aider-venv-VERSION`, or `STOMPER_TEST_AIDER_VENV`).
///
/// A folder holding the `ready` marker is reused as it is; anything else there (an install that
/// was cut short) is removed and installed again. When PyPI cannot be reached the caller's test is
/// cancelled (skipped) with that reason; any other failure to install fails the test.
struct AiderInstallation {
    static let version = "0.86.2"

    let venv: String
    var aider: String { venv + "/bin/aider" }
    var python: String { venv + "/bin/python" }

    static var defaultVenv: String {
        if let explicit = ProcessInfo.processInfo.environment["STOMPER_TEST_AIDER_VENV"], !explicit.isEmpty { return explicit }
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.cache/stomper-tests/aider-venv-\(version)"
    }

    /// The cached installation, installing it first if needed; cancels the test if PyPI is out of reach.
    static func prepared(at venv: String = defaultVenv) async throws -> AiderInstallation {
        let installation = AiderInstallation(venv: venv)
        let marker = venv + "/ready"
        if FileManager.default.fileExists(atPath: marker) {
            let version = try await installation.run(installation.aider, ["--version"], timeout: .seconds(120))
            if version.exitCode == 0, version.stdoutText.contains("aider \(Self.version)") { return installation }
        }
        try? FileManager.default.removeItem(atPath: venv)
        try FileManager.default.createDirectory(atPath: (venv as NSString).deletingLastPathComponent, withIntermediateDirectories: true)

        // Can PyPI be reached? Fetch the one wheel without its dependencies: if that fails, the
        // machine is offline (or has no python3) and the test is skipped; past this point an
        // install that fails is a failure.
        let probe = NSTemporaryDirectory() + "/aider-probe-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let download: ProcessResult
        do {
            download = try await installation.run(
                "python3",
                [
                    "-m", "pip", "download", "--disable-pip-version-check", "--no-deps",
                    "--dest", probe, "aider-chat==\(version)",
                ], timeout: .seconds(180))
        } catch let error as ProcessError where error.code == .executableNotFound {
            try Test.cancel("aider-chat \(version) cannot be installed: python3 is not on PATH")
        }
        if download.exitCode != 0 {
            try Test.cancel("aider-chat \(version) cannot be installed: PyPI cannot be reached (pip download: \(tail(download.stderrText)))")
        }
        let create = try await installation.run("python3", ["-m", "venv", venv], timeout: .seconds(300))
        try #require(create.exitCode == 0, "python3 -m venv \(venv) failed: \(tail(create.stderrText))")
        let install = try await installation.run(
            installation.python,
            [
                "-m", "pip", "install", "--disable-pip-version-check", "-q",
                "aider-chat==\(version)",
            ], timeout: .seconds(1200))
        try #require(install.exitCode == 0, "pip install aider-chat==\(version) failed: \(tail(install.stderrText))")
        try Data().write(to: URL(fileURLWithPath: marker))
        return installation
    }

    /// `pip freeze --all` of the environment: what is installed, with versions.
    func freeze() async throws -> String {
        let result = try await run(python, ["-m", "pip", "freeze", "--all", "--disable-pip-version-check"], timeout: .seconds(120))
        try #require(result.exitCode == 0, "pip freeze failed: \(Self.tail(result.stderrText))")
        return result.stdoutText
    }

    /// Every file and folder under the environment's site-packages whose name mentions playwright.
    func playwrightFiles() throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: venv + "/lib")
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.lowercased().contains("playwright") { found.append(path) }
        }
        return found
    }

    private func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> ProcessResult {
        // PIP_* from the caller's environment would change what gets installed; HOME stays the
        // user's, so pip's download cache is reused.
        try await ProcessRunner.run(
            ProcessSpec(
                executable: executable, arguments: arguments,
                environment: ["PIP_REQUIRE_VIRTUALENV": nil, "PYTHONDONTWRITEBYTECODE": nil],
                timeout: timeout))
    }

    private static func tail(_ text: String) -> String {
        String(text.trimmingCharacters(in: .whitespacesAndNewlines).suffix(600))
    }
}
