import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `stomper fix` on a pseudo-terminal of 60 columns (util-linux `script`), its bytes replayed on a
/// small terminal emulator: the final screen has every file's result line and no stale status line,
/// and no status line ever needed more than the terminal's width.
@Suite(.tags(.e2e)) struct ProgressTerminalEndToEndTests {
    /// A screen of `width` columns that wraps like a terminal: enough of VT100 for what stomper
    /// writes (`\r`, `\n`, `ESC[2K`, `ESC[K`, SGR ignored). Anything else is recorded as unknown.
    struct Screen {
        let width: Int
        var rows: [[Character]] = [[]]
        /// Rows that continue the one above (the text before them filled the width).
        var continued: Set<Int> = []
        var row = 0
        var column = 0
        var unknown: [String] = []

        init(width: Int) { self.width = width }

        mutating func feed(_ text: String) {
            var scalars = Array(text.unicodeScalars)[...]
            while let scalar = scalars.popFirst() {
                switch scalar {
                case "\r": column = 0
                case "\n": newRow(continuing: false)
                case "\u{1B}":
                    guard scalars.first == "[" else { unknown.append("ESC"); continue }
                    scalars.removeFirst()
                    var parameters = ""
                    while let next = scalars.first, !(0x40...0x7E).contains(next.value) { parameters.unicodeScalars.append(scalars.removeFirst()) }
                    guard let final = scalars.popFirst() else { return }
                    switch final {
                    case "m": break
                    case "K" where parameters == "2": rows[row] = []
                    case "K" where parameters.isEmpty || parameters == "0": rows[row] = Array(rows[row].prefix(column))
                    default: unknown.append("ESC[\(parameters)\(final)")
                    }
                default:
                    if column >= width {
                        newRow(continuing: true)
                    }
                    while rows[row].count < column { rows[row].append(" ") }
                    let character = Character(scalar)
                    if column < rows[row].count { rows[row][column] = character } else { rows[row].append(character) }
                    column += 1
                }
            }
        }

        private mutating func newRow(continuing: Bool) {
            row += 1
            column = 0
            if row == rows.count { rows.append([]) }
            if continuing { continued.insert(row) }
        }

        /// The screen's lines with wrapped rows joined, trailing blanks dropped.
        var lines: [String] {
            var lines: [String] = []
            for (index, row) in rows.enumerated() {
                let text = String(row)
                if continued.contains(index), !lines.isEmpty { lines[lines.count - 1] += text } else { lines.append(text) }
            }
            return lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
        }
    }

    /// The texts drawn as status lines: what follows a `\r ESC[2K` up to the next control, when it
    /// is a status line (`[done/total] …`; after the clear that ends a line comes a result line).
    static func statusLines(_ output: String) -> [String] {
        output.components(separatedBy: "\r\u{1B}[2K").dropFirst().map { segment in
            String(segment.prefix { $0 != "\r" && $0 != "\n" && $0 != "\u{1B}" })
        }.filter { $0.hasPrefix("[") }
    }

    @Test func aNarrowTerminalGetsFittingStatusLinesAndNoStaleOnes() async throws {
        try await withTemporaryDirectory { dir in
            let folder = "src/a_package_with_a_rather_long_name/and_a_nested_module_folder"
            var extra: [String: String] = [:]
            var paths: [String] = []
            for index in 0..<4 {
                let path = "\(folder)/file_number_\(index)_whose_name_alone_is_quite_long.py"
                extra[path] = PythonSamples.fixable(index)
                paths.append(path)
            }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: extra)
            let command = "stty cols 60 rows 30; '\(StomperBinary.path)' fix -p 2 --color always"
            let result = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "script", arguments: ["-q", "-f", "-e", "-c", command, "/dev/null"], workingDirectory: repo.root,
                    environment: [
                        "STOMPER_DOCS_ENABLED": "false", "STOMPER_CI": "0", "GITHUB_ACTIONS": nil, "CI": nil, "TERM": "xterm",
                        "NO_COLOR": nil, "COLUMNS": nil,
                    ],
                    timeout: .seconds(300)))
            #expect(result.exitCode == 0, "\(result.stdoutText) \(result.stderrText)")
            let output = result.stdoutText
            var screen = Screen(width: 60)
            screen.feed(output)
            #expect(screen.unknown.isEmpty)
            let drawn = Self.statusLines(output)
            #expect(!drawn.isEmpty, "the control: a live status line was drawn")
            for line in drawn { #expect(line.count < 60, "a status line wider than the terminal: \(line)") }
            // Each phase event redraws the line, which shows the phase in the counts by phase or,
            // for the longest-waiting file (the first started, until it ends), after its path.
            for phase in ["agent", "verify", "land"] {
                #expect(
                    drawn.contains { $0.contains("(\(phase), ") || $0.contains(": \(phase) ") || $0.contains(", \(phase) ") },
                    "the pipeline reported the \(phase) phase: \(drawn)")
            }
            #expect(drawn.contains { $0.contains("…") && $0.contains("_long.py (") }, "a path shortened in the middle")
            let lines = screen.lines
            #expect(!lines.contains { $0.hasPrefix("[") && $0.contains("/4]") }, "a stale status line is left:\n\(lines.joined(separator: "\n"))")
            for path in paths {
                #expect(
                    lines.contains { $0.hasPrefix("fixed ") && $0.contains(path) }, "no result line for \(path):\n\(lines.joined(separator: "\n"))")
            }
            #expect(output.contains("\u{1B}[32mfixed\u{1B}[0m"), "--color always colours the status")
        }
    }

    /// The terminal shrinks while a run goes (the command agent resizes it: the kernel sends
    /// SIGWINCH to stomper): every status line drawn after that fits the new width.
    @Test func aResizedTerminalGetsLinesForItsNewWidth() async throws {
        try await withTemporaryDirectory { dir in
            var extra: [String: String] = [:]
            for index in 0..<3 { extra["src/a_package_with_a_rather_long_name/module_\(index)_with_a_long_name.py"] = PythonSamples.fixable(index) }
            let repo = try await PythonRepository.create(at: dir + "/repo", extra: extra)
            let script = """
                stty cols 60 rows 30
                T=$(tty)
                STOMPER_AGENT_COMMAND="[\\"sh\\", \\"-c\\", \\"stty cols 40 < $T\\"]" '\(StomperBinary.path)' fix -p 1 --dry-run
                """
            try Data(script.utf8).write(to: URL(fileURLWithPath: dir + "/run.sh"))
            let result = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "script", arguments: ["-q", "-f", "-e", "-c", "sh '\(dir)/run.sh'", "/dev/null"], workingDirectory: repo.root,
                    environment: [
                        "STOMPER_DOCS_ENABLED": "false", "STOMPER_CI": "0", "GITHUB_ACTIONS": nil, "CI": nil, "TERM": "xterm",
                        "COLUMNS": nil, "NO_COLOR": nil, "STOMPER_FIX_AGENT": "command", "STOMPER_AGENT_SANDBOX": "none",
                    ],
                    timeout: .seconds(300)))
            #expect(result.exitCode == 1, "the agent changes nothing: \(result.stdoutText) \(result.stderrText)")
            let output = result.stdoutText
            // The first result line comes after the first agent (the resize) finished; `--color auto`
            // colours it on a terminal.
            let label = "\u{1B}[31mrefused\u{1B}[0m"
            let parts = output.components(separatedBy: label)
            #expect(parts.count == 4, "a result line per file: \(output)")
            let before = Self.statusLines(parts[0])
            let after = Self.statusLines(parts.dropFirst().joined(separator: label))
            #expect(before.contains { $0.count >= 40 }, "the control: lines for 60 columns before the resize: \(before)")
            #expect(!after.isEmpty)
            for line in after { #expect(line.count < 40, "drawn for the old width after the resize: \(line)") }
        }
    }
}
