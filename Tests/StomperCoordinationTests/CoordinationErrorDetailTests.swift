import StomperCoordination
import StomperErrors
import StomperTestSupport
import Testing

struct DatabaseLocked: Error, CustomStringConvertible {
    var description: String { "database is locked" }
}

@Suite(.tags(.unit)) struct CoordinationErrorDetailTests {
    @Test func aCoordinationErrorIsExplainedWithItsCauseAndWhereItWasMade() {
        let line = #line + 1
        let error = CoordinationError(
            .dbBusy, resource: ResourceDescriptor(.critDB, "ledger"), message: "the ledger stayed locked",
            underlying: DatabaseLocked())
        let detail = error.detailedDescription
        #expect(detail.hasPrefix(error.description + "\n"))
        #expect(detail.contains("  at StomperCoordinationTests/CoordinationErrorDetailTests.swift:\(line) (CoordinationError.dbBusy)"))
        #expect(detail.contains("  caused by StomperCoordinationTests.DatabaseLocked: database is locked"))
    }
}
