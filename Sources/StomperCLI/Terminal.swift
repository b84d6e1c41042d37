import Foundation
import StomperReport
import Synchronization

/// Output helpers. Only the CLI writes to the terminal.
///
/// In a GitHub Actions step the runner reads stdout for workflow commands (`::set-output`,
/// `::add-mask::`, `::stop-commands::`, `##[…]`), and what stomper prints holds file names,
/// linter messages and agent text from the repository: there `out` and `json` make every line
/// inert (`WorkflowCommand.inert`), and only `command` prints stomper's own workflow commands.
enum Terminal {
    private static let lock = Mutex(())

    /// True in a GitHub Actions step (`GITHUB_ACTIONS=true`), whether or not stomper's CI
    /// features are on: the runner parses the log either way.
    static let guardsWorkflowCommands = ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true"

    static func out(_ text: String, terminator: String = "\n") {
        write(guardsWorkflowCommands ? WorkflowCommand.inert(text) : text, terminator: terminator)
    }

    /// Text made of workflow commands built by `WorkflowCommand` (annotations, groups whose
    /// body it made inert): printed as it is.
    static func command(_ text: String) {
        write(text, terminator: "\n")
    }

    private static func write(_ text: String, terminator: String) {
        lock.withLock { _ in FileHandle.standardOutput.write(Data((text + terminator).utf8)) }
    }

    static func err(_ text: String) {
        let line = guardsWorkflowCommands ? WorkflowCommand.inert(text) : text
        lock.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    static func warn(_ text: String) { err("stomper: warning: \(text)") }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// A JSON document in stomper's one style (`JSONStyle`): snake_case keys, ISO 8601 times,
    /// slashes not escaped, sorted keys.
    static func json(_ value: Any) {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: JSONStyle.normalized(value),
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return }
        jsonText(String(decoding: data, as: UTF8.self))
    }

    static func json(_ value: some Encodable) {
        guard let data = try? encoder.encode(value) else { return }
        jsonText(String(decoding: data, as: UTF8.self))
    }

    /// The encoder of every typed `--json` output.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// A typed document whose keys are spelled as printed and whose ledger values are as stored
    /// (`RunState`, `EventDocument`): through the same style as untyped ones, so `JSONStyle`
    /// normalizes what older builds stored exactly as before.
    static func document(_ value: some Encodable) {
        guard let data = try? JSONEncoder().encode(value),
            let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return }
        json(object)
    }

    /// One document as a line of NDJSON (`stomper tail`).
    static func documentLine(_ value: some Encodable) {
        guard let data = try? JSONEncoder().encode(value),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return }
        jsonLine(object)
    }

    /// One line of NDJSON in the same style (`stomper tail`).
    static func jsonLine(_ object: [String: Any]) {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: JSONStyle.normalized(object),
                options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        jsonText(String(decoding: data, as: UTF8.self))
    }

    /// JSON text (a report, SARIF): inert for the runner in a way that keeps it the same JSON.
    static func jsonText(_ text: String, terminator: String = "\n") {
        write(guardsWorkflowCommands ? WorkflowCommand.inertJSON(text) : text, terminator: terminator)
    }
}
