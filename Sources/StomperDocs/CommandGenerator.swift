import StomperProcess
import StomperQuality

/// A generator that runs a command (an LLM CLI, a script) and takes its standard output as the doc.
///
/// The command is an argv template, run without a shell in the repository root. Placeholders in
/// any word are replaced once, left to right, so a path that itself contains `{hash}` is never
/// expanded again: `{file}` (repo-relative path), `{abs_file}`, `{workdir}`, `{hash}` (the
/// source's SHA-256). Other braces are left as they are. Standard input gets `prompt(for:)`.
public struct CommandGenerator: DocGenerator {
    public let name = "command"
    public let arguments: [String]
    public let timeout: Duration
    /// Variables added to (or, with nil, removed from) the command's environment.
    public let environment: [String: String?]
    /// Bytes of standard output accepted; a longer doc is an error rather than a cut-off doc.
    public let outputLimit: Int

    /// Throws `.invalidConfiguration` for an empty command or a non-positive timeout or output limit.
    public init(
        arguments: [String], timeout: Duration = .seconds(300), environment: [String: String?] = [:],
        outputLimit: Int = 1 << 20
    ) throws(DocsError) {
        guard let executable = arguments.first, !executable.isEmpty else {
            throw DocsError(.invalidConfiguration, "the docs command is empty; give the program to run and its arguments")
        }
        guard timeout > .zero else {
            throw DocsError(.invalidConfiguration, "the docs command timeout must be positive", commandLine: executable)
        }
        guard outputLimit > 0 else {
            throw DocsError(.invalidConfiguration, "the docs command output limit must be positive", commandLine: executable)
        }
        self.arguments = arguments
        self.timeout = timeout
        self.environment = environment
        self.outputLimit = outputLimit
    }

    public func generate(_ request: DocRequest) async throws -> String {
        let argv = Self.substitute(arguments, for: request)
        let spec = ProcessSpec(
            executable: argv[0], arguments: Array(argv.dropFirst()), workingDirectory: request.workdir,
            environment: environment, input: Self.prompt(for: request), timeout: timeout, outputLimit: outputLimit)
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(spec)
        } catch let error as ProcessError where error.code == .executableNotFound {
            throw DocsError(
                .generatorNotFound,
                "docs command \(argv[0]) not found; install it or fix the docs command in the configuration",
                path: request.path, commandLine: spec.commandLine, underlying: error)
        } catch let error as ProcessError {
            throw DocsError(
                .generatorFailed, "docs command \(argv[0]) could not be started: \(error.message)",
                path: request.path, commandLine: spec.commandLine, underlying: error)
        }
        let stderr = Self.excerpt(result.stderrText)
        if result.timedOut {
            throw DocsError(
                .generatorTimedOut,
                "docs command \(argv[0]) ran past its timeout of \(Self.formatted(timeout)) for \(request.path) and was "
                    + "stopped; raise the docs timeout or use a faster command",
                path: request.path, commandLine: spec.commandLine, standardError: stderr)
        }
        guard result.termination == .exited(0) else {
            throw DocsError(
                .generatorFailed,
                "docs command \(argv[0]) failed for \(request.path) (\(result.termination)); run it by hand to see why",
                path: request.path, commandLine: spec.commandLine, exitStatus: result.exitCode, standardError: stderr)
        }
        if result.outputTruncated {
            throw DocsError(
                .generatorFailed,
                "docs command \(argv[0]) printed more than \(outputLimit) bytes for \(request.path); "
                    + "make it print only the Markdown body",
                path: request.path, commandLine: spec.commandLine, exitStatus: 0, standardError: stderr)
        }
        let body = result.stdoutText
        guard body.contains(where: { !$0.isWhitespace }) else {
            throw DocsError(
                .generatorFailed,
                "docs command \(argv[0]) printed nothing on standard output for \(request.path); "
                    + "it must print the doc's Markdown body",
                path: request.path, commandLine: spec.commandLine, exitStatus: 0, standardError: stderr)
        }
        return body
    }

    /// `template` with the placeholders of `request` filled in.
    public static func substitute(_ template: [String], for request: DocRequest) -> [String] {
        let values = [
            "file": request.path, "abs_file": request.absolutePath, "workdir": request.workdir, "hash": request.sourceHash,
        ]
        return template.map { word in
            var result = ""
            var rest = Substring(word)
            while let open = rest.firstIndex(of: "{") {
                result += rest[..<open]
                let afterOpen = rest[rest.index(after: open)...]
                if let close = afterOpen.firstIndex(of: "}"), let value = values[String(afterOpen[..<close])] {
                    result += value
                    rest = afterOpen[afterOpen.index(after: close)...]
                } else {
                    result += "{"
                    rest = afterOpen
                }
            }
            return result + rest
        }
    }

    /// What the command reads on standard input: an instruction, the file's path, hash and lint
    /// status, then the source between markers.
    public static func prompt(for request: DocRequest) -> [UInt8] {
        var text = """
            Write Markdown documentation for the source file below: what it is for, its main \
            declarations and how to use them. Print only the Markdown body.

            File: \(request.path)
            SHA256: \(request.sourceHash)
            Lint: \(request.lintStatus.summary)

            """
        for diagnostic in request.lintStatus.diagnostics.prefix(50) {
            text += "- \(diagnostic.line):\(diagnostic.column) \(diagnostic.code) \(diagnostic.message)\n"
        }
        text += "\n----- BEGIN \(request.path) -----\n"
        var bytes = Array(text.utf8)
        bytes += request.source
        if let last = request.source.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        bytes += Array("----- END \(request.path) -----\n".utf8)
        return bytes
    }

    /// The last few lines of standard error, redacted and bounded, for the error message.
    static func excerpt(_ stderr: String) -> String? {
        let lines = stderr.split(whereSeparator: \.isNewline).suffix(5)
        guard !lines.isEmpty else { return nil }
        var text = Redactor.process.redact(lines.joined(separator: "\n"))
        if text.count > 500 { text = "…" + text.suffix(499) }
        return text
    }

    /// `300 s` or `250 ms`.
    static func formatted(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
