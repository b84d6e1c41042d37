import Foundation

/// What to run: a command line, where, with what input, and the limits it runs under.
public struct ProcessSpec: Sendable, Hashable {
    /// A name looked up in `PATH`, or a path (anything containing `/`).
    public var executable: String
    public var arguments: [String]
    public var workingDirectory: String?
    /// Variables added to (or, with nil, removed from) the inherited environment.
    public var environment: [String: String?]
    /// Bytes written to standard input, which is then closed.
    public var input: [UInt8]
    /// After this long the process group gets SIGTERM, then SIGKILL after `killGrace`.
    public var timeout: Duration?
    public var killGrace: Duration
    /// Bytes kept of each of stdout and stderr; the rest is read and dropped.
    public var outputLimit: Int
    /// The containment the process runs in; nil runs it in `Sandbox.current` if set, else as is.
    public var sandbox: Sandbox?

    public init(
        executable: String, arguments: [String] = [], workingDirectory: String? = nil,
        environment: [String: String?] = [:], input: [UInt8] = [], timeout: Duration? = nil,
        killGrace: Duration = .seconds(2), outputLimit: Int = 16 << 20, sandbox: Sandbox? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.input = input
        self.timeout = timeout
        self.killGrace = killGrace
        self.outputLimit = outputLimit
        self.sandbox = sandbox
    }

    /// The command line as a shell would show it, for messages.
    public var commandLine: String {
        ([executable] + arguments).map(Self.quoted).joined(separator: " ")
    }

    static func quoted(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// How a process ended and what it printed.
public struct ProcessResult: Sendable, Hashable {
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): return "exit status \(code)"
            case .signaled(let signal): return "killed by signal \(signal)"
            }
        }
    }

    public var termination: Termination
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    /// True when output beyond `outputLimit` was dropped.
    public var outputTruncated: Bool
    /// True when the process was stopped because it ran past its timeout.
    public var timedOut: Bool
    public var duration: Duration
    /// What bubblewrap said when it could not start a sandboxed command at all (it exits 1 and
    /// prints `bwrap: …`, the command never ran), or nil. A tool whose exit 1 means "findings"
    /// would otherwise read as having run and found nothing.
    public var sandboxFailure: String? = nil

    public var exitCode: Int32? {
        if case .exited(let code) = termination { return code }
        return nil
    }

    public var stdoutText: String { String(decoding: standardOutput, as: UTF8.self) }
    public var stderrText: String { String(decoding: standardError, as: UTF8.self) }
}
