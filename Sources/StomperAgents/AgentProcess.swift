import Foundation

import StomperProcess

/// Turns a finished agent process into an `AgentOutcome`.
enum AgentProcess {
    static func run(_ spec: ProcessSpec, what: String, successExitCodes: Set<Int32> = [0]) async -> AgentOutcome {
        let start = ContinuousClock.now
        let result: ProcessResult
        do {
            result = try await ProcessRunner.run(spec)
        } catch let error as ProcessError where error.code == .executableNotFound {
            return AgentOutcome(status: .unavailable(reason: "\(what) executable not found: \(spec.executable)"),
                                duration: ContinuousClock.now - start)
        } catch {
            return AgentOutcome(status: .unavailable(reason: "\(what) could not be started: \(error)"),
                                duration: ContinuousClock.now - start)
        }
        let output = tail(result.stdoutText + (result.standardError.isEmpty ? "" : "\n" + result.stderrText))
        if result.timedOut, let timeout = spec.timeout {
            return AgentOutcome(status: .timedOut(after: timeout), output: output, duration: result.duration)
        }
        switch result.termination {
        case .exited(let code) where successExitCodes.contains(code):
            return AgentOutcome(status: .completed, output: output, duration: result.duration)
        case .exited(let code):
            let detail = tail(result.stderrText, limit: 300).trimmingCharacters(in: .whitespacesAndNewlines)
            return AgentOutcome(
                status: .failed(reason: "\(what) exited with status \(code)" + (detail.isEmpty ? "" : ": \(detail)")),
                output: output, duration: result.duration)
        case .signaled(let signal):
            return AgentOutcome(status: .crashed(signal: signal), output: output, duration: result.duration)
        }
    }

    /// The end of `text`, with secrets removed.
    static func tail(_ text: String, limit: Int = 4000) -> String {
        let text = Redactor.process.redact(text)
        return text.count > limit ? "…" + String(text.suffix(limit)) : text
    }
}
