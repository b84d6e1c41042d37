import Foundation
import Synchronization
import Subprocess
#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs child processes in their own session and process group, so a timeout or a cancelled task
/// can stop the whole tree a command started (SIGTERM to the group, then SIGKILL).
public enum ProcessRunner {
    /// Runs `spec` to completion (or to its timeout) and returns what happened.
    ///
    /// Cancelling the calling task tears the process group down the same way a timeout does.
    public static func run(_ spec: ProcessSpec) async throws -> ProcessResult {
        try await run(spec, whenBusy: {})
    }

    /// How often a launch that failed with ETXTBSY is tried again, and the first pause (doubling).
    static let busyRetries = 8
    static let firstBusyPause: Duration = .milliseconds(2)

    /// `run`, calling `whenBusy` before each retry of a launch refused with ETXTBSY (tests).
    ///
    /// The kernel refuses to execute a file that some process has open for writing. A script
    /// written just before it is run (a generated hook, a test's fake tool) can be held that way
    /// for a moment by another thread's child between its fork and its exec, which inherits every
    /// descriptor. The launch has not started anything then, so it is tried again, pausing
    /// 2, 4, … 256 ms (about half a second in all) before it is reported.
    static func run(_ spec: ProcessSpec, whenBusy: @Sendable () async -> Void) async throws -> ProcessResult {
        var pause = firstBusyPause
        for _ in 0..<busyRetries {
            do {
                return try await launch(spec)
            } catch let error as ProcessError where error.isTextFileBusy {
                await whenBusy()
                try await Task.sleep(for: pause)
                pause *= 2
            }
        }
        return try await launch(spec)
    }

    private static func launch(_ original: ProcessSpec) async throws -> ProcessResult {
        _ = ignoreBrokenPipes
        let spec = try contained(original)
        let sandboxed = (original.sandbox ?? Sandbox.current) != nil
        let start = ContinuousClock.now
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: spec.killGrace)]
        var updates: [Environment.Key: String?] = ["GIT_OPTIONAL_LOCKS": "0"]
        for (key, value) in spec.environment {
            if let key = Environment.Key(rawValue: key) { updates[key] = value }
        }
        let executable: Executable =
            spec.executable.contains("/")
            ? .path(FilePath(spec.executable)) : .name(spec.executable)
        let limit = spec.outputLimit
        let input = spec.input
        let timeout = spec.timeout
        let grace = spec.killGrace
        let outcome: ExecutionResult<Collected, SequenceOutput, SequenceOutput>
        do {
            outcome = try await Subprocess.run(
                executable,
                arguments: Arguments(spec.arguments),
                environment: .inherit.updating(updates),
                workingDirectory: spec.workingDirectory.map { FilePath($0) },
                platformOptions: options,
                input: .inputWriter,
                output: .sequence,
                error: .sequence
            ) { execution in
                try await withThrowingTaskGroup(of: Part.self) { group in
                    group.addTask {
                        // A child that exits without reading stdin makes the write fail (EPIPE);
                        // that is the child's business, not an error of the run. Closing always
                        // happens, so the descriptor is never leaked.
                        let writer = execution.standardInputWriter
                        if !input.isEmpty { _ = try? await writer.write(input) }
                        try? await writer.finish()
                        return .inputDone
                    }
                    group.addTask {
                        let (bytes, truncated) = try await collect(execution.standardOutput, limit: limit)
                        return .stdout(bytes, truncated)
                    }
                    group.addTask {
                        let (bytes, truncated) = try await collect(execution.standardError, limit: limit)
                        return .stderr(bytes, truncated)
                    }
                    if let timeout {
                        group.addTask {
                            try await Task.sleep(for: timeout)
                            return .timedOut
                        }
                    }
                    var collected = Collected()
                    var streamsOpen = 2
                    while streamsOpen > 0, let part = try await group.next() {
                        switch part {
                        case .stdout(let bytes, let truncated):
                            collected.stdout = bytes
                            collected.truncated = collected.truncated || truncated
                            streamsOpen -= 1
                        case .stderr(let bytes, let truncated):
                            collected.stderr = bytes
                            collected.truncated = collected.truncated || truncated
                            streamsOpen -= 1
                        case .inputDone:
                            continue
                        case .timedOut:
                            collected.timedOut = true
                            await execution.teardown(using: [
                                .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: grace)
                            ])
                        }
                    }
                    group.cancelAll()
                    return collected
                }
            }
        } catch let error as SubprocessError {
            if error.code == .executableNotFound {
                throw ProcessError(.executableNotFound, "executable not found", commandLine: original.commandLine, underlying: error)
            }
            if error.underlyingError == Errno(rawValue: ETXTBSY) {
                throw ProcessError(
                    .launchFailed,
                    "could not run the process: its executable is open for writing (text file busy); "
                        + "wait for whatever writes it to finish", commandLine: original.commandLine, underlying: error)
            }
            throw ProcessError(
                .launchFailed, "could not run the process (\(error))", commandLine: original.commandLine,
                underlying: error)
        }
        if sandboxed { await waitForGroupToEnd(outcome.processIdentifier.value) }
        let termination: ProcessResult.Termination
        switch outcome.terminationStatus {
        case .exited(let code) where sandboxed && code > 128 && code <= 128 + 64:
            // bwrap reports a command killed by a signal as 128 + the signal, as shells do.
            termination = .signaled(code - 128)
        case .exited(let code): termination = .exited(code)
        case .signaled(let signal): termination = .signaled(signal)
        }
        let collected = outcome.closureResult
        return ProcessResult(
            termination: termination, standardOutput: collected.stdout, standardError: collected.stderr,
            outputTruncated: collected.truncated, timedOut: collected.timedOut, duration: ContinuousClock.now - start,
            sandboxFailure: sandboxed
                ? bwrapFailure(termination: termination, standardOutput: collected.stdout, standardError: collected.stderr) : nil)
    }

    /// bubblewrap's own refusal: exit 1, nothing on standard output, and its `bwrap: ` message as
    /// the whole of standard error (one line), which it prints only when it fails before running
    /// the command. A command that prints such a line itself is told apart only by being
    /// reported this way, never as having succeeded.
    static func bwrapFailure(termination: ProcessResult.Termination, standardOutput: [UInt8], standardError: [UInt8]) -> String? {
        guard termination == .exited(1), standardOutput.isEmpty else { return nil }
        let text = String(decoding: standardError, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("bwrap: "), !text.contains("\n") else { return nil }
        return String(text.dropFirst("bwrap: ".count))
    }

    /// `spec` as run in its sandbox (`spec.sandbox`, else `Sandbox.current`): `bwrap` with the
    /// policy's arguments, then the command. The executable is looked up here, in the spec's `PATH`
    /// (or the working directory for a relative path), so a missing one is still
    /// `.executableNotFound` rather than a failure of bwrap inside the sandbox.
    static func contained(_ spec: ProcessSpec) throws -> ProcessSpec {
        guard let sandbox = spec.sandbox ?? Sandbox.current else { return spec }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in spec.environment { environment[key] = value }
        var wanted = spec.executable
        if wanted.contains("/"), !wanted.hasPrefix("/"), let directory = spec.workingDirectory {
            wanted = directory + "/" + wanted
        }
        guard let executable = VersionManagerShim.locate(wanted, environment: environment) else {
            throw ProcessError(.executableNotFound, "executable not found", commandLine: spec.commandLine)
        }
        var wrapped = spec
        wrapped.executable = sandbox.bwrap
        wrapped.arguments = sandbox.arguments(
            for: spec, executable: Sandbox.absolute(executable),
            searchPath: environment["PATH"] ?? "")
        if wrapped.arguments.count + 1 > Sandbox.maximumArguments {
            throw ProcessError(
                .launchFailed,
                "the command has \(spec.arguments.count) arguments and the sandbox \(wrapped.arguments.count - spec.arguments.count) more; "
                    + "bubblewrap accepts at most \(Sandbox.maximumArguments) in all: pass fewer paths per command",
                commandLine: spec.commandLine)
        }
        wrapped.environment["TMPDIR"] = Sandbox.privateTemporaryDirectory
        wrapped.sandbox = nil
        return wrapped
    }

    /// Waits until no process of the process group `group` is left alive, killing it after a while.
    ///
    /// bwrap's own process ends as soon as the sandboxed command does (or at once when a timeout
    /// kills it), while the sandbox's pid 1, killed through `--die-with-parent`, may still be
    /// taking the namespace down: the kernel kills every process in it and lets pid 1 go only when
    /// they are all gone. pid 1 stays in the group stomper started bwrap in (no `--new-session`),
    /// so a group with no live member means nothing of the sandbox is left: no late writer once
    /// `run` returns. Dead members count as gone: pid 1, orphaned, stays a zombie until the
    /// machine's init reaps it, which in containers can take seconds. Usually this is one check.
    ///
    /// The polling sleeps in a task of its own, which a cancellation of the caller does not reach:
    /// a cancelled task's `Task.sleep` returns at once, and sleeping with `usleep` instead held one
    /// of the cooperative pool's threads (two on this machine) for up to 30 s per process — every
    /// other task of the process stalled behind a cancelled run's lingering sandboxes. The
    /// caller's cancellation still kills the group at once.
    static func waitForGroupToEnd(_ group: pid_t) async {
        final class Cancelled: Sendable {
            let value: Mutex<Bool>
            init(_ value: Bool) { self.value = Mutex(value) }
        }
        let cancelled = Cancelled(Task.isCancelled)
        await withTaskCancellationHandler {
            await Task.detached {
                var killed = false
                let start = ContinuousClock.now
                var pause = Duration.microseconds(100)
                while ProcessLiveness.groupHasLiveMembers(group) {
                    if !killed, cancelled.value.withLock({ $0 }) || ContinuousClock.now - start > .seconds(5) {
                        kill(-group, SIGKILL)
                        killed = true
                    }
                    if ContinuousClock.now - start > .seconds(30) { return }
                    try? await Task.sleep(for: pause)
                    pause = min(pause * 2, .milliseconds(10))
                }
            }.value
        } onCancel: {
            cancelled.value.withLock { $0 = true }
        }
    }

    /// A child that exits without reading its standard input makes our write fail with SIGPIPE,
    /// whose default action kills this whole process. Ignoring it turns that into EPIPE, which the
    /// write reports and the result shows. Done once, lazily.
    private static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    private struct Collected: Sendable {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var truncated = false
        var timedOut = false
    }

    private enum Part: Sendable {
        case stdout([UInt8], Bool)
        case stderr([UInt8], Bool)
        case timedOut
        case inputDone
    }

    /// Reads a stream to its end, keeping the first `limit` bytes. Reading on past the limit keeps
    /// the child from blocking on a full pipe.
    private static func collect(_ sequence: SubprocessOutputSequence, limit: Int) async throws -> ([UInt8], Bool) {
        var bytes: [UInt8] = []
        var truncated = false
        for try await buffer in sequence {
            let room = limit - bytes.count
            if room <= 0 {
                truncated = true
                continue
            }
            buffer.withUnsafeBytes { raw in
                bytes.append(contentsOf: raw.prefix(room))
                if raw.count > room { truncated = true }
            }
        }
        return (bytes, truncated)
    }
}
