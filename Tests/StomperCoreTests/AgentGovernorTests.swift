import Synchronization
@testable import StomperCore
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct AgentGovernorTests {
    final class Sleeps: Sendable {
        let values = Mutex<[Duration]>([])
        func record(_ duration: Duration) { values.withLock { $0.append(duration) } }
    }

    func ticket(_ permit: AgentGovernor.Permit) throws -> AgentGovernor.Ticket {
        guard case .go(let ticket) = permit else { throw GovernorTestError(description: "expected a permit, got \(permit)") }
        return ticket
    }

    struct GovernorTestError: Error, CustomStringConvertible { let description: String }

    @Test func theBreakerOpensAfterTheThresholdWaitsTheCooldownAndAFailedProbeStopsTheRun() async throws {
        let sleeps = Sleeps()
        let governor = AgentGovernor(threshold: 2, cooldown: .seconds(30), sleep: { sleeps.record($0) })
        let first = try ticket(await governor.permit())
        await governor.record(first, infrastructureFailure: true, reason: "connection refused")
        #expect(await governor.isOpen == false)
        let second = try ticket(await governor.permit())
        await governor.record(second, infrastructureFailure: true, reason: "connection refused")
        #expect(await governor.isOpen)
        let probe = try ticket(await governor.permit())
        let waited = try #require(sleeps.values.withLock { $0.first })
        #expect(waited > .seconds(29) && waited <= .seconds(30))
        await governor.record(probe, infrastructureFailure: true, reason: "connection refused")
        guard case .stop(let reason) = await governor.permit() else { Issue.record("the run should stop"); return }
        #expect(reason.contains("connection refused") && reason.contains("stomper resume"))
    }

    @Test func onlyTheProbeDecidesAndASuccessfulProbeClosesTheBreaker() async throws {
        let governor = AgentGovernor(threshold: 1, cooldown: .zero, sleep: { _ in })
        let straggler = try ticket(await governor.permit())
        let opener = try ticket(await governor.permit())
        await governor.record(opener, infrastructureFailure: true, reason: "401")
        let probe = try ticket(await governor.permit())
        // An attempt that was running before the breaker opened reports a failure: it does not count.
        await governor.record(straggler, infrastructureFailure: true, reason: "401")
        #expect(await governor.stopReason == nil)
        #expect(await governor.isOpen)
        await governor.record(probe, infrastructureFailure: false)
        #expect(await governor.isOpen == false)
        _ = try ticket(await governor.permit())
    }

    @Test func theCallBudgetStopsStartingAttempts() async throws {
        let governor = AgentGovernor(threshold: 0, maxCalls: 2)
        _ = try ticket(await governor.permit())
        _ = try ticket(await governor.permit())
        guard case .stop(let reason) = await governor.permit() else { Issue.record("the budget should stop the run"); return }
        #expect(reason.contains("--max-agent-calls 2"))
    }

    @Test func aSpentTimeBudgetStopsAtOnce() async throws {
        let governor = AgentGovernor(threshold: 0, timeBudget: .zero)
        guard case .stop(let reason) = await governor.permit() else { Issue.record("the budget should stop the run"); return }
        #expect(reason.contains("--time-budget"))
    }
}
