import ArgumentParser
import Foundation
@testable import StomperCLI
import StomperProcess
import StomperTestSupport
import Testing

/// The example CI workflows in Demos/ci: every `stomper` command line their scripts run is one
/// stomper's own argument parser accepts (no repository, no network).
@Suite(.tags(.unit)) struct CIWorkflowTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Parses the YAML with PyYAML and prints, as JSON, the argv of every stomper command in a
    /// GitHub `run:` or GitLab `script:` block: `\` continuations joined, `${{ … }}` replaced by
    /// a placeholder, split into commands at `;`, `&&`, `||`, `|` and shell keywords.
    static let extractor = #"""
        import json, re, shlex, sys, yaml
        KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "time", "{"}
        def scripts(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "run" and isinstance(value, str):
                        yield value
                    elif key in ("script", "before_script", "after_script"):
                        for item in ([value] if isinstance(value, str) else value or []):
                            if isinstance(item, str):
                                yield item
                    else:
                        yield from scripts(value)
            elif isinstance(node, list):
                for value in node:
                    yield from scripts(value)
        commands = []
        for path in sys.argv[1:]:
            for document in yaml.safe_load_all(open(path)):
                for script in scripts(document):
                    script = re.sub(r"\$\{\{.*?\}\}", "PLACEHOLDER", script, flags=re.S)
                    script = re.sub(r"\\\n", " ", script)
                    for line in script.split("\n"):
                        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
                        lexer.whitespace_split = True
                        try:
                            tokens = list(lexer)
                        except ValueError:
                            continue
                        segment = []
                        for token in tokens + [";"]:
                            if token and set(token) <= set(";&|()"):
                                while segment and (segment[0] in KEYWORDS or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", segment[0])):
                                    segment.pop(0)
                                if segment and (segment[0] == "stomper" or segment[0].endswith("/stomper")):
                                    commands.append({"file": path.rsplit("/", 1)[-1], "argv": segment})
                                segment = []
                            else:
                                segment.append(token)
        print(json.dumps(commands))
        """#

    struct Command: Decodable {
        var file: String
        var argv: [String]
    }

    @Test func everyStomperCommandInTheExampleWorkflowsParses() async throws {
        let files = ["github-pr-autofix.yml", "github-untrusted-patches.yml", "gitlab-ci.yml"].map { Self.root + "/Demos/ci/" + $0 }
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "python3", arguments: ["-c", Self.extractor] + files,
                timeout: .seconds(60)))
        try #require(result.exitCode == 0, "the extractor failed (is PyYAML installed?): \(result.stderrText)")
        let commands = try JSONDecoder().decode([Command].self, from: Data(result.standardOutput))
        let perFile = Dictionary(grouping: commands, by: \.file).mapValues(\.count)
        // import, fix, export / fix / import, fix, export: the extraction found them all.
        #expect(perFile["github-pr-autofix.yml", default: 0] >= 3)
        #expect(perFile["github-untrusted-patches.yml", default: 0] >= 1)
        #expect(perFile["gitlab-ci.yml", default: 0] >= 3)
        for command in commands {
            do {
                _ = try Stomper.parseAsRoot(Array(command.argv.dropFirst()))
            } catch {
                Issue.record("\(command.file): `\(command.argv.joined(separator: " "))` is refused: \(Stomper.message(for: error))")
            }
        }
    }

    /// No script of the example workflows splices an expression into its text (`${{ … }}` in a
    /// `run:` or `script:`): a branch name or title from a pull request would run as shell code.
    /// Values reach the scripts through `env:`.
    @Test func noScriptSplicesAnExpressionIntoItsText() async throws {
        let files = ["github-pr-autofix.yml", "github-untrusted-patches.yml", "gitlab-ci.yml"].map { Self.root + "/Demos/ci/" + $0 }
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "python3",
                arguments: [
                    "-c",
                    #"""
                    import json, sys, yaml
                    found = []
                    def walk(node, path):
                        if isinstance(node, dict):
                            for key, value in node.items():
                                if key in ("run", "script", "before_script", "after_script"):
                                    text = value if isinstance(value, str) else "\n".join(v for v in value or [] if isinstance(v, str))
                                    if "${{" in text:
                                        found.append(path + "/" + str(key))
                                else:
                                    walk(value, path + "/" + str(key))
                        elif isinstance(node, list):
                            for index, value in enumerate(node):
                                walk(value, path + "/" + str(index))
                    count = 0
                    for name in sys.argv[1:]:
                        for document in yaml.safe_load_all(open(name)):
                            walk(document, name.rsplit("/", 1)[-1])
                            count += 1
                    print(json.dumps({"documents": count, "spliced": found}))
                    """#,
                ] + files, timeout: .seconds(60)))
        try #require(result.exitCode == 0, "\(result.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
        #expect(report["documents"] as? Int == 4)
        #expect((report["spliced"] as? [String]) == [], "\(report)")
    }
}
