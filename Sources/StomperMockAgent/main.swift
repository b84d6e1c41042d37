import Foundation

// stomper-mock-agent: a scripted stand-in for an AI coding agent, for tests, demos and benchmarks.
//
//   stomper-mock-agent --script SCRIPT.json [--attempt N] FILE
//
// SCRIPT maps file globs to a list of steps, run in order in the current directory (the worktree):
//
//   {"files": {"src/slow_*.py": [{"sleep_ms": 500}, {"delete_lines_containing": "import os"}],
//              "*": [{"delete_lines_containing": "import os"}]}}
//
// A glob's value may instead give one list per attempt; the last list repeats for later attempts:
//
//   {"files": {"*": {"attempts": [[{"suppress": {"line_containing": "import os", "comment": "# noqa"}}],
//                                 [{"delete_lines_containing": "import os"}]]}}}
//
// The attempt number comes from `--attempt N` (pass `{attempt}` in the agent command), else the
// environment variable STOMPER_MOCK_ATTEMPT, else 1. The script may also come from STOMPER_MOCK_SCRIPT.
//
// Steps:
//   sleep_ms N                         wait N milliseconds
//   delete_lines_containing TEXT       remove every line of FILE containing TEXT
//   replace {old, new}                 replace every occurrence of old in FILE
//   write TEXT                         replace the whole of FILE
//   append TEXT                        add TEXT at the end of FILE
//   suppress {line_containing, comment} append "  COMMENT" to every line of FILE containing the text
//                                      (comment defaults to "# noqa")
//   break_syntax                       append an unparsable line (`def (:`) to FILE
//   edit_other {path, content}         write another file
//   delete_file                        delete FILE
//   commit MESSAGE                     `git commit -a` in the worktree
//   print TEXT                         TEXT and a newline on stdout
//   stderr TEXT                        TEXT and a newline on stderr
//   report {JSON object}               the object as one line of JSON on stdout (to play an agent
//                                      reporting tokens and cost, e.g. Claude's {"type":"result",…})
//   garbage N                          N random bytes on stdout
//   exit N                             exit with status N now
//   crash SIGNAL                       kill itself with SIGNAL
//   hang                               sleep forever (until killed)
// The first glob that matches FILE (in the order written, or the script's "order" list) wins;
// "*" matches everything.

struct Failure: Error, CustomStringConvertible {
    let description: String
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("stomper-mock-agent: \(message)\n".utf8))
    exit(2)
}

func globMatches(_ pattern: String, _ path: String) -> Bool {
    fnmatch(pattern, path, 0) == 0
}

func readFile(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

func writeFile(_ path: String, _ text: String) {
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        fail("cannot write \(path): \(error.localizedDescription)")
    }
}

func run(_ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    do { try process.run() } catch { fail("cannot run \(arguments.joined(separator: " ")): \(error)") }
    process.waitUntilExit()
    return process.terminationStatus
}

var arguments = Array(CommandLine.arguments.dropFirst())
var scriptPath = ProcessInfo.processInfo.environment["STOMPER_MOCK_SCRIPT"]
if let index = arguments.firstIndex(of: "--script"), index + 1 < arguments.count {
    scriptPath = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
var attemptText = ProcessInfo.processInfo.environment["STOMPER_MOCK_ATTEMPT"]
if let index = arguments.firstIndex(of: "--attempt"), index + 1 < arguments.count {
    attemptText = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
var attempt = 1
if let attemptText {
    guard let value = Int(attemptText), value >= 1 else { fail("the attempt must be a whole number from 1, not \(attemptText)") }
    attempt = value
}
guard let file = arguments.first else { fail("usage: stomper-mock-agent --script SCRIPT.json [--attempt N] FILE") }
guard let scriptPath, let data = FileManager.default.contents(atPath: scriptPath) else {
    fail("no script: pass --script SCRIPT.json or set STOMPER_MOCK_SCRIPT")
}
// The prompt arrives on stdin; read it so the writer never blocks, and ignore it.
_ = FileHandle.standardInput.readDataToEndOfFile()

guard let script = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let files = script["files"] as? [String: Any] else {
    fail("\(scriptPath) is not a script: expected {\"files\": {GLOB: [STEP, …]}}")
}
let order = (script["order"] as? [String]) ?? files.keys.sorted { ($0 == "*" ? 1 : 0, $0) < ($1 == "*" ? 1 : 0, $1) }
guard let pattern = order.first(where: { globMatches($0, file) }) else { exit(0) }
let steps: [[String: Any]]
if let list = files[pattern] as? [[String: Any]] {
    steps = list
} else if let perAttempt = (files[pattern] as? [String: Any])?["attempts"] as? [[[String: Any]]], !perAttempt.isEmpty {
    steps = perAttempt[min(attempt, perAttempt.count) - 1]
} else {
    fail("the steps for \(pattern) are neither a list nor {\"attempts\": [[STEP, …], …]}")
}

for step in steps {
    if let milliseconds = step["sleep_ms"] as? Int {
        usleep(useconds_t(milliseconds * 1000))
    } else if let text = step["delete_lines_containing"] as? String {
        let kept = readFile(file).components(separatedBy: "\n").filter { !$0.contains(text) }
        writeFile(file, kept.joined(separator: "\n"))
    } else if let replace = step["replace"] as? [String: String], let old = replace["old"], let new = replace["new"] {
        writeFile(file, readFile(file).replacingOccurrences(of: old, with: new))
    } else if let text = step["write"] as? String {
        writeFile(file, text)
    } else if let text = step["append"] as? String {
        writeFile(file, readFile(file) + text)
    } else if let suppress = step["suppress"] as? [String: String], let text = suppress["line_containing"] {
        let comment = suppress["comment"] ?? "# noqa"
        let lines = readFile(file).components(separatedBy: "\n").map { $0.contains(text) ? $0 + "  " + comment : $0 }
        writeFile(file, lines.joined(separator: "\n"))
    } else if step["break_syntax"] != nil {
        let text = readFile(file)
        writeFile(file, text + (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + "def (:\n")
    } else if let other = step["edit_other"] as? [String: String], let path = other["path"] {
        writeFile(path, other["content"] ?? "edited by the mock agent\n")
    } else if step["delete_file"] != nil {
        try? FileManager.default.removeItem(atPath: file)
    } else if let message = step["commit"] as? String {
        _ = run(["git", "-c", "user.name=mock", "-c", "user.email=mock@localhost", "commit", "-q", "-a", "-m", message])
    } else if let text = step["print"] as? String {
        print(text)
    } else if let text = step["stderr"] as? String {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    } else if let object = step["report"] as? [String: Any] {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            fail("the report step needs a JSON object")
        }
        // Through `print`, like the print step, so the two keep their order in the buffered output.
        print(String(decoding: data, as: UTF8.self))
    } else if let count = step["garbage"] as? Int {
        FileHandle.standardOutput.write(Data((0..<count).map { _ in UInt8.random(in: 0...255) }))
    } else if let code = step["exit"] as? Int {
        exit(Int32(code))
    } else if let signal = step["crash"] as? Int {
        kill(getpid(), Int32(signal))
    } else if step["hang"] != nil {
        while true { sleep(60) }
    } else {
        fail("unknown step \(step)")
    }
}
exit(0)
