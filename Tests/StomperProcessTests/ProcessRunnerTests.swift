import Foundation
@testable import StomperProcess
import Synchronization
import StomperTestSupport
import Testing

@Suite(.tags(.unit), .timeLimit(.minutes(5))) struct ProcessRunnerTests {
    @Test func capturesOutputExitStatusAndStandardInput() async throws {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", "cat; echo err >&2; exit 3"], input: Array("hello".utf8)))
        #expect(result.termination == .exited(3))
        #expect(result.stdoutText == "hello")
        #expect(result.stderrText == "err\n")
        #expect(!result.timedOut)
    }

    @Test func setsGitOptionalLocksAndExtraEnvironment() async throws {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", "echo \"$GIT_OPTIONAL_LOCKS $EXTRA\""], environment: ["EXTRA": "yes"]))
        #expect(result.stdoutText == "0 yes\n")
    }

    @Test func aMissingExecutableIsReportedAsSuch() async throws {
        await #expect {
            _ = try await ProcessRunner.run(ProcessSpec(executable: "stomper-no-such-tool-\(UUID().uuidString)"))
        } throws: { ($0 as? ProcessError)?.code == .executableNotFound }
    }

    /// A script still open for writing somewhere cannot be executed (ETXTBSY): the launch is
    /// tried again, and succeeds once the writer let go.
    @Test func aLaunchRefusedAsTextFileBusyIsTriedAgain() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/tool"
            let writer = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o755)
            try #require(writer >= 0)
            let script = "#!/bin/sh\necho ran\n"
            #expect(write(writer, script, script.utf8.count) == script.utf8.count)
            let busy = Mutex(0)
            let result = try await ProcessRunner.run(
                ProcessSpec(executable: path),
                whenBusy: {
                    // The first refusal lets the writer go; the retry must then run the script.
                    if busy.withLock({
                        $0 += 1; return $0
                    }) == 1 {
                        close(writer)
                    }
                })
            #expect(busy.withLock { $0 } == 1)
            #expect(result.termination == .exited(0) && result.stdoutText == "ran\n")
        }
    }

    /// A writer that never lets go: after the retries the error says what is wrong.
    @Test func aLaunchThatStaysTextFileBusyNamesTheCause() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/tool"
            let writer = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o755)
            try #require(writer >= 0)
            defer { close(writer) }
            let busy = Mutex(0)
            await #expect {
                _ = try await ProcessRunner.run(ProcessSpec(executable: path), whenBusy: { busy.withLock { $0 += 1 } })
            } throws: { error in
                guard let error = error as? ProcessError else { return false }
                return error.code == .launchFailed && error.message.contains("text file busy") && error.commandLine.contains(path)
            }
            #expect(busy.withLock { $0 } == ProcessRunner.busyRetries)
        }
    }

    @Test func outputBeyondTheLimitIsDroppedNotFatal() async throws {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", "head -c 200000 /dev/zero"], outputLimit: 1000))
        #expect(result.standardOutput.count == 1000)
        #expect(result.outputTruncated)
        #expect(result.termination == .exited(0))
    }

    /// A timeout stops the whole process group, grandchildren included.
    @Test func timeoutKillsTheProcessGroup() async throws {
        try await withTemporaryDirectory { dir in
            let pidFile = dir + "/child.pid"
            let result = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "/bin/sh", arguments: ["-c", "sleep 600 & echo $! > \(pidFile); wait"],
                    timeout: .milliseconds(300), killGrace: .milliseconds(300)))
            #expect(result.timedOut)
            let childPID = try #require(
                Int32(
                    try String(contentsOfFile: pidFile, encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await ProcessProbe.waitUntilGone(childPID, deadline: .seconds(5)))
        }
    }

    @Test func aProcessThatIgnoresSIGTERMIsKilled() async throws {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", "trap '' TERM; while :; do sleep 1; done"],
                timeout: .milliseconds(200), killGrace: .milliseconds(200)))
        #expect(result.timedOut)
        #expect(result.termination == .signaled(SIGKILL))
    }
}

/// Waits, bounded, for a process to die: the kernel delivers SIGKILL asynchronously, so a short
/// poll is the only way to observe it from outside.
enum ProcessProbe {
    static func waitUntilGone(_ pid: Int32, deadline: Duration) async -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if !ProcessLiveness.isAlive(pid: pid) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return !ProcessLiveness.isAlive(pid: pid)
    }
}
