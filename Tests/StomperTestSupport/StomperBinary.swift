import Foundation
public import StomperProcess

/// Finds and runs the built `stomper` executable, for end-to-end tests.
public enum StomperBinary {
    /// `STOMPER_TEST_BINARY` if set, else `stomper` beside the test bundle in the build folder.
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["STOMPER_TEST_BINARY"] { return explicit }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("stomper").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("stomper").path
    }

    /// Runs `stomper ARGS` in `directory` (or, with `viaExecutable`, that program with ARGS,
    /// for wrappers such as `timeout`).
    public static func run(
        _ arguments: [String], in directory: String, environment: [String: String?] = [:],
        timeout: Duration = .seconds(300), viaExecutable: String? = nil
    ) async throws -> ProcessResult {
        try await ProcessRunner.run(
            ProcessSpec(
                executable: viaExecutable ?? path, arguments: viaExecutable == nil ? arguments : Array(arguments.dropFirst()),
                workingDirectory: directory, environment: environment, timeout: timeout))
    }
}
