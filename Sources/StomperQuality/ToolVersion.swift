import Foundation
import StomperProcess

/// A dotted version number read from a tool's `--version` text (`mypy 2.4.1 (compiled: yes)`).
///
/// Only the numeric components count: `1.11.0+dev` compares as 1.11.0, and missing components
/// are zero, so `1.11` equals `1.11.0`.
struct ToolVersion: Comparable, CustomStringConvertible {
    var components: [Int]

    init(_ components: [Int]) {
        self.components = components
    }

    /// The first word of `text` that starts with a digit and reads as `N(.N)*`.
    init?(in text: String) {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            guard word.first?.isNumber == true else { continue }
            let numbers = word.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
            if !numbers.isEmpty {
                self.init(numbers)
                return
            }
        }
        return nil
    }

    static func < (lhs: ToolVersion, rhs: ToolVersion) -> Bool {
        let count = max(lhs.components.count, rhs.components.count)
        for index in 0..<count {
            let left = index < lhs.components.count ? lhs.components[index] : 0
            let right = index < rhs.components.count ? rhs.components[index] : 0
            if left != right { return left < right }
        }
        return false
    }

    static func == (lhs: ToolVersion, rhs: ToolVersion) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }

    var description: String { components.map(String.init).joined(separator: ".") }
}

/// Runs a linter's process, turning "executable not found" into `QualityError(.toolMissing)`
/// with the install advice the linter gives.
enum ToolProcess {
    /// Runs a linter's process. A sandbox that could not start it is a failure, not a report: with
    /// exit 1 and no output, many tools would read as "ran and found nothing".
    static func run(_ spec: ProcessSpec, tool: String, missing: String) async throws -> ProcessResult {
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(spec)
        } catch let error as ProcessError where error.code == .executableNotFound {
            throw QualityError(.toolMissing, missing, tool: tool, commandLine: spec.commandLine, underlying: error)
        }
        if let refusal = result.sandboxFailure {
            throw QualityError(
                .toolFailed, "the sandbox (bubblewrap) could not start \(tool): \(refusal)", tool: tool,
                commandLine: spec.commandLine, exitStatus: result.exitCode, standardError: trimmed(result.stderrText))
        }
        return result
    }

    /// `EXECUTABLE --version`'s trimmed standard output; a missing program is `.toolMissing` with
    /// `missing` (which names the install command), a failing one `.toolFailed`.
    static func versionOutput(_ executable: String, tool: String, timeout: Duration, missing: String) async throws -> String {
        let spec = ProcessSpec(executable: executable, arguments: ["--version"], timeout: timeout)
        let result = try await run(spec, tool: tool, missing: missing)
        guard result.exitCode == 0 else {
            throw failure("`\(executable) --version` failed", tool: tool, spec: spec, result: result)
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `command` (program and arguments) in `root` and returns its trimmed standard output,
    /// for the `versionCommand` of configurable linters.
    static func versionText(_ command: [String], root: String?, tool: String, timeout: Duration) async throws -> String {
        guard let executable = command.first else {
            throw QualityError(.badConfiguration, "\(tool): the version command is empty", tool: tool)
        }
        let spec = ProcessSpec(
            executable: executable, arguments: Array(command.dropFirst()), workingDirectory: root,
            timeout: timeout)
        let result = try await run(spec, tool: tool, missing: "\(tool): `\(executable)` not found (version command)")
        guard result.exitCode == 0 else {
            throw QualityError(
                .toolFailed, "\(tool): the version command failed", tool: tool,
                commandLine: spec.commandLine, exitStatus: result.exitCode,
                standardError: trimmed(result.stderrText))
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A tool failure carrying what the tool printed, stdout included when stderr alone says nothing.
    static func failure(
        _ message: String, tool: String, spec: ProcessSpec, result: ProcessResult,
        file: String = #fileID, line: UInt = #line
    ) -> QualityError {
        var detail = trimmed(result.stderrText)
        let stdout = trimmed(result.stdoutText)
        if !stdout.isEmpty { detail = detail.isEmpty ? stdout : detail + "\n" + stdout }
        let text = result.timedOut ? "\(message): timed out" : message
        return QualityError(
            .toolFailed, text, tool: tool, commandLine: spec.commandLine, exitStatus: result.exitCode,
            standardError: detail, file: file, line: line)
    }
}
