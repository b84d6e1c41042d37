@testable import StomperCore
import Synchronization
import StomperTestSupport
import Testing

/// The phase clock tells its listener when each measured phase starts (what progress displays
/// show) and still adds up the time of each.
@Suite(.tags(.unit)) struct PhaseClockTests {
    @Test func measuredPhasesAreReportedAsTheyStart() async {
        let started = Mutex<[String]>([])
        let clock = PhaseClock(onPhase: { name in started.withLock { $0.append(name) } })
        await clock.measure("agent") {
            #expect(started.withLock { $0 } == ["agent"], "reported before the phase's work, not after")
        }
        await clock.measure("verify") {}
        await clock.measure("land") { await clock.measure("ledger") {} }
        #expect(started.withLock { $0 } == ["agent", "verify", "land", "ledger"])
        #expect(Set(clock.seconds.keys) == ["agent", "verify", "land", "ledger"])
        #expect(PipelinePhase(rawValue: "ledger") == nil, "only the phases a display shows become events")
    }
}
