import Foundation
import StomperProcess

enum StomperProcessRun {
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let result = try await ProcessRunner.run(ProcessSpec(executable: executable, arguments: arguments, timeout: .seconds(1800)))
        guard result.exitCode == 0 else { throw BenchError("\(executable) \(arguments.joined(separator: " ")) failed: \(result.stderrText)") }
        return result.stdoutText
    }
}

/// The readable summary printed after the JSON lines.
enum Table {
    static func print(_ rows: [[String: Any]]) {
        Swift.print("")
        for row in rows {
            let scenario = row["scenario"] as? String ?? "?"
            let fields = row.filter { $0.key != "scenario" }.sorted { $0.key < $1.key }.map { key, value -> String in
                if let nested = value as? [String: Any] {
                    return "\(key)={" + nested.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
                }
                return "\(key)=\(value)"
            }
            Swift.print(scenario.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + fields.joined(separator: "  "))
        }
    }
}
