import Foundation
import MCP
import StomperLedger

/// The `stomper fix` runs this server started. Each is a child `stomper fix --json` process: a
/// normal run in the ledger (resumable, visible to `stomper status` and every other client), with
/// the CLI's own crash safety, and a crash of the run never takes the server down. `cancel` is the
/// CLI's graceful interrupt (SIGINT: in-flight files finish or are left for `resume`).
actor FixRuns {
    struct Child {
        let process: Process
        let pid: Int32
        let finished: Task<Value, any Error>
        var runID: String?
    }

    private let command: StomperCommand
    private let ledger: Ledger
    private var children: [Int32: Child] = [:]

    init(command: StomperCommand, ledger: Ledger) {
        self.command = command
        self.ledger = ledger
    }

    /// Starts `stomper fix --json ARGUMENTS` and returns once the run is in the ledger (its id),
    /// or once the child ended without one (nothing to fix, or an error: its document).
    func start(_ arguments: [String]) async throws -> (pid: Int32, runID: String?, finished: Task<Value, any Error>) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command.executable)
        process.arguments = ["fix", "--json", "-C", command.root] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: command.root)
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        // The child's log lines join the server's on standard error; standard output is the protocol's.
        process.standardError = FileHandle.standardError
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            exited.continuation.yield(process.terminationStatus)
            exited.continuation.finish()
        }
        // Runs already recorded: a pid can come back after a reboot, so only a new run is the child's.
        let earlier = Set(try await ledger.runs(limit: 1_000).map(\.id))
        try process.run()
        let pid = process.processIdentifier
        let reader = output.fileHandleForReading
        let finished = Task<Value, any Error> {
            let bytes = try await ClaimDesk.offPool { reader.readDataToEndOfFile() }
            var status: Int32?
            for await code in exited.stream { status = code }
            return try StomperCommand.document(stdout: Array(bytes), stderr: "", exitCode: status, command: "fix")
        }
        children[pid] = Child(process: process, pid: pid, finished: finished, runID: nil)
        let runID = try await runID(of: pid, excluding: earlier)
        children[pid]?.runID = runID
        return (pid, runID, finished)
    }

    /// Polls the ledger for the run the child created (`pid` is recorded with it) until it shows
    /// or the child ends; bounded by the child's own life and by a minute.
    private func runID(of pid: Int32, excluding earlier: Set<String>) async throws -> String? {
        func recorded() async throws -> String? {
            try await ledger.runs(limit: 20).first { $0.pid == pid && !earlier.contains($0.id) }?.id
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let run = try await recorded() { return run }
            if children[pid]?.process.isRunning == false {
                // Ended: a run it made is in the ledger now, or it made none.
                return try await recorded()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw MCPToolError(.commandFailed, "`stomper fix` (pid \(pid)) started no run within a minute")
    }

    /// Sends the graceful interrupt to the run's process and waits (at most `patience`) for it to end.
    func cancel(runID: String, patience: Duration = .seconds(120)) async throws -> Value? {
        guard let child = children.values.first(where: { $0.runID == runID }) else {
            throw MCPToolError(
                .notRunning, "run \(runID) was not started by this server; stop it where it runs (Ctrl-C, or kill -INT its pid from `stomper status`)"
            )
        }
        guard child.process.isRunning else {
            throw MCPToolError(.notRunning, "run \(runID) has already ended; see `status`")
        }
        kill(child.pid, SIGINT)
        let finished = child.finished
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await finished.value }
            group.addTask {
                try await Task.sleep(for: patience)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// Progress of a run: files ended and files in all, from the ledger.
    func progress(runID: String) async throws -> (done: Int, total: Int) {
        let jobs = try await ledger.jobs(runID: runID)
        return (jobs.filter { $0.state.isTerminal }.count, jobs.count)
    }

    /// Interrupts every run still going (the server is stopping) and waits for them, at most
    /// `patience` in all; a run cut short is left for `stomper resume`.
    func stopAll(patience: Duration = .seconds(30)) async {
        let running = children.values.filter { $0.process.isRunning }
        for child in running { kill(child.pid, SIGINT) }
        let deadline = ContinuousClock.now + patience
        for child in running {
            while child.process.isRunning, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
