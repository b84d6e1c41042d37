import StomperCore
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct CIEnvironmentTests {
    @Test(arguments: [
        (["GITHUB_ACTIONS": "true", "CI": "true"], CIEnvironment.Provider.githubActions),
        (["GITLAB_CI": "true", "CI": "true"], .gitlab),
        (["BUILDKITE": "true"], .buildkite),
        (["CI": "1"], .generic),
        (["CI": "YES"], .generic),
        (["STOMPER_CI": "1"], .generic),
    ])
    func detectsTheProvider(environment: [String: String], provider: CIEnvironment.Provider) {
        #expect(CIEnvironment(environment: environment).provider == provider)
    }

    @Test(arguments: [
        [:],
        ["CI": "false"],
        ["CI": ""],
        ["GITHUB_ACTIONS": "true", "STOMPER_CI": "0"],
    ])
    func notInCI(environment: [String: String]) {
        let ci = CIEnvironment(environment: environment)
        #expect(ci.provider == nil)
        #expect(!ci.isCI)
    }

    @Test func commitLinksNeedTheRepository() {
        let bare = CIEnvironment(environment: ["GITHUB_ACTIONS": "true"])
        #expect(bare.commitURL("abc") == nil)
        let full = CIEnvironment(environment: [
            "GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/widgets",
        ])
        #expect(full.commitURL("abc") == "https://github.com/acme/widgets/commit/abc")
        #expect(
            CIEnvironment(environment: ["GITLAB_CI": "true", "GITHUB_SERVER_URL": "x", "GITHUB_REPOSITORY": "y"])
                .commitURL("abc") == nil)
    }
}
