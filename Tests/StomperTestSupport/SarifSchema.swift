public import Foundation
import StomperProcess

/// Validates SARIF against the official 2.1.0 schema (Tests/Fixtures/sarif, JSON Schema draft-04)
/// with python3's `jsonschema` (scripts/install-deps.sh installs it).
public enum SarifSchema {
    public static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sarif/sarif-schema-2.1.0.json").path
    }

    /// The schema's complaints about `document` (empty: valid), each `path: message`.
    public static func errors(_ document: Data, in directory: String) async throws -> [String] {
        let file = directory + "/validate-\(UUID().uuidString.prefix(8)).sarif"
        try document.write(to: URL(fileURLWithPath: file))
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft4Validator.check_schema(schema)
            document = json.load(open(sys.argv[2]))
            for error in sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=str):
                print("/".join(map(str, error.absolute_path)) + ": " + error.message)
            """
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "python3", arguments: ["-c", script, path, file],
                workingDirectory: directory, timeout: .seconds(120)))
        guard result.exitCode == 0 else {
            throw FixtureError(message: "python3 jsonschema failed (exit \(result.exitCode.map(String.init) ?? "?")): \(result.stderrText)")
        }
        return result.stdoutText.split(separator: "\n").map(String.init)
    }
}
