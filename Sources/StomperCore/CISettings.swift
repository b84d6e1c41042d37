/// How stomper reports to a CI system (`[ci]` in stomper.toml). Display only: neither setting
/// changes what a fix is, so neither is part of `resultHash`, and a resumed run takes today's.
public struct CISettings: Sendable, Hashable, Codable {
    /// The level of the GitHub Actions annotations stomper writes for diagnostics left.
    public enum AnnotationLevel: String, Sendable, Hashable, Codable, CaseIterable {
        case error, warning, notice
    }

    public var annotationLevel: AnnotationLevel = .error
    /// At most this many annotations per run (GitHub shows 10 error and 10 warning annotations per
    /// step and drops the rest); the job summary lists every diagnostic.
    public var annotationLimit: Int = 10

    public init() {}
}
