/// The CI system a run is under, read from the environment once by the CLI and handed down.
///
/// Detection follows what the systems set: GitHub Actions `GITHUB_ACTIONS=true`, GitLab CI
/// `GITLAB_CI=true`, Buildkite `BUILDKITE=true`, and the de-facto `CI` variable most others set
/// (`true`, `1` or `yes`, any case). `STOMPER_CI=0` switches detection off (a developer running
/// stomper inside a CI-like shell), `STOMPER_CI=1` switches it on without a provider.
public struct CIEnvironment: Sendable, Hashable {
    public enum Provider: String, Sendable, Hashable, Codable, CaseIterable {
        case githubActions = "github-actions"
        case gitlab
        case buildkite
        /// `CI` is set but the system is none of the above.
        case generic
    }

    /// Nil when not in CI.
    public var provider: Provider?
    /// The variables detection and the CI outputs read (GitHub: `GITHUB_STEP_SUMMARY`,
    /// `GITHUB_OUTPUT`, `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, ...).
    public var variables: [String: String]

    public init(environment: [String: String]) {
        variables = environment
        provider = Self.detect(environment)
    }

    public var isCI: Bool { provider != nil }
    public var isGitHubActions: Bool { provider == .githubActions }
    public var isGitLab: Bool { provider == .gitlab }

    /// A variable's value, nil when unset or empty.
    public subscript(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// The web address of `commit` on GitHub, when the job says which repository it runs for.
    public func commitURL(_ commit: String) -> String? {
        guard isGitHubActions, let server = self["GITHUB_SERVER_URL"], let repository = self["GITHUB_REPOSITORY"] else {
            return nil
        }
        return "\(server)/\(repository)/commit/\(commit)"
    }

    static func truthy(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["true", "1", "yes"].contains(value.lowercased())
    }

    static func detect(_ environment: [String: String]) -> Provider? {
        if let forced = environment["STOMPER_CI"], !forced.isEmpty {
            guard truthy(forced) else { return nil }
        }
        if truthy(environment["GITHUB_ACTIONS"]) { return .githubActions }
        if truthy(environment["GITLAB_CI"]) { return .gitlab }
        if truthy(environment["BUILDKITE"]) { return .buildkite }
        if truthy(environment["CI"]) || truthy(environment["STOMPER_CI"]) { return .generic }
        return nil
    }
}
