import Foundation
import MCP
import StomperProcess

/// Runs `stomper <command> … --json` on the served repository and returns its document. The read
/// tools answer with exactly what the CLI prints (the same code, the same JSON style and schemas,
/// docs/JSON.md), and a command that fails reports the CLI's own error code and message.
struct StomperCommand: Sendable {
    /// The `stomper` executable this server runs as.
    let executable: String
    /// The repository's work tree (`-C`).
    let root: String
    /// Longest a read command may take.
    var timeout: Duration = .seconds(600)

    /// The CLI's error document (`{"error": {"code", "message"}}`), as a thrown error.
    struct Failed: Error, Sendable, CustomStringConvertible {
        var code: String
        var message: String
        var description: String { "\(code): \(message)" }
    }

    func json(_ arguments: [String]) async throws -> Value {
        let spec = ProcessSpec(
            executable: executable, arguments: arguments + ["-C", root], workingDirectory: root,
            environment: ["NO_COLOR": "1"], timeout: timeout)
        let result = try await ProcessRunner.run(spec)
        return try Self.document(
            stdout: result.standardOutput, stderr: result.stderrText, exitCode: result.exitCode,
            command: arguments.first ?? "stomper")
    }

    /// The JSON document a command printed, or the error it reported.
    static func document(stdout: [UInt8], stderr: String, exitCode: Int32?, command: String) throws -> Value {
        guard let value = try? JSONDecoder().decode(Value.self, from: Data(stdout)) else {
            let detail = stderr.split(separator: "\n").last.map(String.init) ?? "no output"
            throw MCPToolError(
                .commandFailed, "`stomper \(command)` printed no JSON document (exit \(exitCode.map(String.init) ?? "by signal")): \(detail)")
        }
        if let error = value.objectValue?["error"]?.objectValue {
            throw Failed(code: error["code"]?.stringValue ?? "internal_error", message: error["message"]?.stringValue ?? "unknown error")
        }
        return value
    }
}
