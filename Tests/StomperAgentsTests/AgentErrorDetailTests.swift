import StomperAgents
import StomperErrors
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct AgentErrorDetailTests {
    @Test func aBadAgentSettingIsExplainedWithWhereItWasRefused() throws {
        let error = try #require(#expect(throws: AgentError.self) { _ = try CommandAgent(argv: []) })
        #expect(error.code == .badConfiguration)
        #expect(error.detailedDescription.contains("  at StomperAgents/CommandAgent.swift:"))
        #expect(error.detailedDescription.contains("(AgentError.badConfiguration)"))
    }
}
