#if canImport(FoundationEssentials)
    // Not Foundation: without it (and ICU) the agent starts in about a third of the CPU time, and
    // benchmarks start it once per job.
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
//   wait_for_file {path, timeout_ms}   wait until PATH exists (a test's gate; default 120000 ms),
//                                      else exit 3
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

/// Writes `bytes` to a file descriptor, after whatever `print` has buffered.
func emit(_ bytes: [UInt8], to descriptor: Int32) {
    fflush(nil)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}

func fail(_ message: String) -> Never {
    emit(Array("stomper-mock-agent: \(message)\n".utf8), to: 2)
    exit(2)
}

/// A JSON document, as the script holds it.
enum JSON: Codable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var int: Int? { if case .int(let value) = self { value } else { nil } }
    var array: [JSON]? { if case .array(let value) = self { value } else { nil } }
    var object: [String: JSON]? { if case .object(let value) = self { value } else { nil } }
}

func globMatches(_ pattern: String, _ path: String) -> Bool {
    fnmatch(pattern, path, 0) == 0
}

func readFile(_ path: String) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "" }
    return String(decoding: data, as: UTF8.self)
}

func writeFile(_ path: String, _ text: String) {
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
        try? FileManager.default.createDirectory(atPath: String(path[..<slash]), withIntermediateDirectories: true)
    }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        fail("cannot write \(path): \(error)")
    }
}

func lines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

/// Runs a program found on PATH and waits for it; its exit status.
func run(_ arguments: [String]) -> Int32 {
    var pid = pid_t()
    var argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let spawned = posix_spawnp(&pid, arguments[0], nil, nil, &argv, environ)
    guard spawned == 0 else { fail("cannot run \(arguments.joined(separator: " ")): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

var arguments = Array(CommandLine.arguments.dropFirst())
var scriptPath = getenv("STOMPER_MOCK_SCRIPT").map { String(cString: $0) }
if let index = arguments.firstIndex(of: "--script"), index + 1 < arguments.count {
    scriptPath = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
var attemptText = getenv("STOMPER_MOCK_ATTEMPT").map { String(cString: $0) }
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
var sink = [UInt8](repeating: 0, count: 65536)
while true {
    let count = read(0, &sink, sink.count)
    if count > 0 || (count < 0 && errno == EINTR) { continue }
    break
}

guard let script = try? JSONDecoder().decode(JSON.self, from: data), let files = script["files"]?.object else {
    fail("\(scriptPath) is not a script: expected {\"files\": {GLOB: [STEP, …]}}")
}
let order =
    script["order"]?.array?.compactMap(\.string)
    ?? files.keys.sorted { ($0 == "*" ? 1 : 0, $0) < ($1 == "*" ? 1 : 0, $1) }
guard let pattern = order.first(where: { globMatches($0, file) }) else { exit(0) }
let steps: [JSON]
if let list = files[pattern]?.array {
    steps = list
} else if let perAttempt = files[pattern]?["attempts"]?.array?.compactMap(\.array), !perAttempt.isEmpty {
    steps = perAttempt[min(attempt, perAttempt.count) - 1]
} else {
    fail("the steps for \(pattern) are neither a list nor {\"attempts\": [[STEP, …], …]}")
}

for step in steps {
    if let milliseconds = step["sleep_ms"]?.int {
        usleep(useconds_t(milliseconds * 1000))
    } else if let gate = step["wait_for_file"], let path = gate["path"]?.string {
        var waited = 0
        let limit = gate["timeout_ms"]?.int ?? 120_000
        while access(path, F_OK) != 0 {
            if waited >= limit {
                emit(Array("stomper-mock-agent: \(path) did not appear within \(limit) ms\n".utf8), to: 2)
                exit(3)
            }
            usleep(10_000)
            waited += 10
        }
    } else if let text = step["delete_lines_containing"]?.string {
        writeFile(file, lines(readFile(file)).filter { !$0.contains(text) }.joined(separator: "\n"))
    } else if let replace = step["replace"], let old = replace["old"]?.string, let new = replace["new"]?.string {
        writeFile(file, readFile(file).replacing(old, with: new))
    } else if let text = step["write"]?.string {
        writeFile(file, text)
    } else if let text = step["append"]?.string {
        writeFile(file, readFile(file) + text)
    } else if let suppress = step["suppress"], let text = suppress["line_containing"]?.string {
        let comment = suppress["comment"]?.string ?? "# noqa"
        writeFile(file, lines(readFile(file)).map { $0.contains(text) ? $0 + "  " + comment : $0 }.joined(separator: "\n"))
    } else if step["break_syntax"] != nil {
        let text = readFile(file)
        writeFile(file, text + (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + "def (:\n")
    } else if let other = step["edit_other"], let path = other["path"]?.string {
        writeFile(path, other["content"]?.string ?? "edited by the mock agent\n")
    } else if step["delete_file"] != nil {
        try? FileManager.default.removeItem(atPath: file)
    } else if let message = step["commit"]?.string {
        _ = run(["git", "-c", "user.name=mock", "-c", "user.email=mock@localhost", "commit", "-q", "-a", "-m", message])
    } else if let text = step["print"]?.string {
        print(text)
    } else if let text = step["stderr"]?.string {
        emit(Array((text + "\n").utf8), to: 2)
    } else if let object = step["report"], object.object != nil {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else { fail("the report step needs a JSON object") }
        // Through `print`, like the print step, so the two keep their order in the buffered output.
        print(String(decoding: data, as: UTF8.self))
    } else if step["report"] != nil {
        fail("the report step needs a JSON object")
    } else if let count = step["garbage"]?.int {
        emit((0..<count).map { _ in UInt8.random(in: 0...255) }, to: 1)
    } else if let code = step["exit"]?.int {
        exit(Int32(code))
    } else if let signal = step["crash"]?.int {
        kill(getpid(), Int32(signal))
    } else if step["hang"] != nil {
        while true { sleep(60) }
    } else {
        fail("unknown step \(step)")
    }
}
exit(0)
