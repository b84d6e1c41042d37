/// What docgen did for one source file: the unit of `docgen status` and of the history.
public struct DocgenResult: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, Hashable, CaseIterable {
        /// A new doc was written.
        case generated
        /// The doc's header already named the source's hash: nothing to do.
        case noop
        /// The file was not documented (deleted, binary, inside the docs folder, excluded); see `reason`.
        case skipped
        /// Generation or writing failed; see `reason`.
        case error
    }

    /// The source, relative to the repository root.
    public var path: String
    /// The doc, relative to the repository root.
    public var docPath: String
    public var status: Status
    public var reason: String?
    /// The hash of the source the doc describes (nil when the source could not be read).
    public var sourceHash: String?
    public var durationSeconds: Double
    public var runID: String?
    public var job: String?
    /// The generator's name (`outline`, `command`).
    public var generator: String

    public init(
        path: String, docPath: String, status: Status, reason: String? = nil, sourceHash: String? = nil,
        durationSeconds: Double, runID: String? = nil, job: String? = nil, generator: String
    ) {
        self.path = path
        self.docPath = docPath
        self.status = status
        self.reason = reason
        self.sourceHash = sourceHash
        self.durationSeconds = durationSeconds
        self.runID = runID
        self.job = job
        self.generator = generator
    }
}
