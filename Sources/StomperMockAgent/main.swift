import Foundation

// stomper-mock-agent: a scripted stand-in for an AI coding agent, for tests, demos and benchmarks.
//
//   stomper-mock-agent --script SCRIPT.json FILE
//
// SCRIPT maps file globs to a list of steps, run in order in the current directory (the worktree):
//
//   {"files": {"src/slow_*.py": [{"sleep_ms": 500}, {"delete_lines_containing": "import os"}],
//              "*": [{"delete_lines_containing": "import os"}]}}
//
// Steps: sleep_ms N · delete_lines_containing TEXT · replace {old, new} · write TEXT (whole file) ·
// append TEXT · edit_other {path, content} · delete_file · commit MESSAGE · print TEXT (stdout) ·
// garbage N (N random bytes on stdout) · exit N · crash SIGNAL · hang.
// The first glob that matches FILE (in the order written) wins; "*" matches everything.

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
guard let file = arguments.first else { fail("usage: stomper-mock-agent --script SCRIPT.json FILE") }
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
guard let pattern = order.first(where: { globMatches($0, file) }), let steps = files[pattern] as? [[String: Any]] else {
    exit(0)
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
    } else if let other = step["edit_other"] as? [String: String], let path = other["path"] {
        writeFile(path, other["content"] ?? "edited by the mock agent\n")
    } else if step["delete_file"] != nil {
        try? FileManager.default.removeItem(atPath: file)
    } else if let message = step["commit"] as? String {
        _ = run(["git", "-c", "user.name=mock", "-c", "user.email=mock@localhost", "commit", "-q", "-a", "-m", message])
    } else if let text = step["print"] as? String {
        print(text)
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
