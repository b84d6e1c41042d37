/// Everything a generator needs to write the doc of one source file.
public struct DocRequest: Sendable, Hashable {
    /// The source's path relative to the repository root, slash-separated.
    public var path: String
    public var source: [UInt8]
    /// `DocHeader.sha256Hex(source)`, the hash the doc's header will carry.
    public var sourceHash: String
    public var lintStatus: LintStatus
    /// The repository root (absolute).
    public var workdir: String

    /// With `sourceHash` nil the hash is computed from `source`.
    public init(
        path: String, source: [UInt8], sourceHash: String? = nil, lintStatus: LintStatus = LintStatus(),
        workdir: String
    ) {
        self.path = path
        self.source = source
        self.sourceHash = sourceHash ?? DocHeader.sha256Hex(source)
        self.lintStatus = lintStatus
        self.workdir = workdir
    }

    /// The source's absolute path.
    public var absolutePath: String {
        workdir.hasSuffix("/") ? workdir + path : workdir + "/" + path
    }
}
