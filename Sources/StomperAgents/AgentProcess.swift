import Foundation

import StomperProcess

/// Turns a finished agent process into an `AgentOutcome`.
enum AgentProcess {
    static func run(_ spec: ProcessSpec, what: String, successExitCodes: Set<Int32> = [0]) async -> AgentOutcome {
        await runKeepingResult(spec, what: what, successExitCodes: successExitCodes).outcome
    }

    /// Also returns what the process printed in full (nil when it could not be started), for
    /// agents that read their tool's output (a fixer that prints a diff).
    static func runKeepingResult(
        _ spec: ProcessSpec, what: String,
        successExitCodes: Set<Int32> = [0]
    ) async -> (outcome: AgentOutcome, result: ProcessResult?) {
        let start = ContinuousClock.now
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(spec)
        } catch let error as ProcessError where error.code == .executableNotFound {
            return (
                AgentOutcome(
                    status: .unavailable(reason: "\(what) executable not found: \(spec.executable)"),
                    duration: ContinuousClock.now - start), nil
            )
        } catch {
            return (
                AgentOutcome(
                    status: .unavailable(reason: "\(what) could not be started: \(error)"),
                    duration: ContinuousClock.now - start), nil
            )
        }
        let output = tail(result.stdoutText + (result.standardError.isEmpty ? "" : "\n" + result.stderrText))
        if let refusal = result.sandboxFailure {
            return (
                AgentOutcome(
                    status: .failed(reason: "the sandbox (bubblewrap) could not start \(what): \(refusal)"),
                    output: output, duration: result.duration, exitStatus: result.exitCode), result
            )
        }
        if result.timedOut, let timeout = spec.timeout {
            return (AgentOutcome(status: .timedOut(after: timeout), output: output, duration: result.duration), result)
        }
        switch result.termination {
        case .exited(let code) where successExitCodes.contains(code):
            return (AgentOutcome(status: .completed, output: output, duration: result.duration), result)
        case .exited(let code):
            let detail = tail(result.stderrText, limit: 300).trimmingCharacters(in: .whitespacesAndNewlines)
            return (
                AgentOutcome(
                    status: .failed(reason: "\(what) exited with status \(code)" + (detail.isEmpty ? "" : ": \(detail)")),
                    output: output, duration: result.duration, exitStatus: code), result
            )
        case .signaled(let signal):
            return (AgentOutcome(status: .crashed(signal: signal), output: output, duration: result.duration), result)
        }
    }

    /// The end of `text`, with secrets removed.
    static func tail(_ text: String, limit: Int = 4000) -> String {
        let text = Redactor.process.redact(text)
        return text.count > limit ? "…" + String(text.suffix(limit)) : text
    }
}
