import Foundation
import Synchronization

/// Output helpers. Only the CLI writes to the terminal.
enum Terminal {
    private static let lock = Mutex(())

    static func out(_ text: String, terminator: String = "\n") {
        lock.withLock { _ in FileHandle.standardOutput.write(Data((text + terminator).utf8)) }
    }

    static func err(_ text: String) {
        lock.withLock { _ in FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }

    static func warn(_ text: String) { err("stomper: warning: \(text)") }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    static func json(_ value: Any) {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys]) else { return }
        out(String(decoding: data, as: UTF8.self))
    }

    static func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(value) else { return }
        out(String(decoding: data, as: UTF8.self))
    }
}
