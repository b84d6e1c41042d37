@testable import StomperCore
import StomperErrors
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct CoreErrorDetailTests {
    @Test func anUnreadableRecordIsExplainedWithTheDecodingErrorBeneath() throws {
        let error = try #require(#expect(throws: CoreError.self) { _ = try LandingIntent.decode("{not json", job: "a.py") })
        #expect(error.code == .badRecord)
        let detail = error.detailedDescription
        #expect(detail.contains("  at StomperCore/LandingIntent.swift:"))
        #expect(detail.contains("(CoreError.badRecord)"))
        #expect(detail.contains("  caused by Swift.DecodingError: "))
    }
}
