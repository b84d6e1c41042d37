public import StomperErrors

/// The one error type of StomperCoordination. `description` names the resource, its holder and
/// the wait; `detailedDescription` adds the underlying error and where the error was made.
public struct CoordinationError: StomperError {
    public enum Code: String, Sendable, Hashable {
        /// Another holder kept the resource longer than the caller may wait.
        case resourceBusy = "ResourceBusy"
        /// The database stayed locked by another writer longer than the maximum wait.
        case dbBusy = "DbBusy"
        /// The source changed while its doc was being generated; the doc was not written.
        case docgenStale = "DocgenStale"
        /// The fencing token is older than the last grant or write of the resource.
        case staleVersion = "StaleVersion"
        /// A token that holds no lease on the resource (released, or run out and taken over).
        case notHeld = "NotHeld"
        /// Claims need enforced coordination (`maasl.enabled = true`, `maasl.mode = "enforce"`).
        case coordinationOff = "CoordinationOff"
        /// A broken invariant inside the coordination layer.
        case `internal` = "Internal"
    }

    public var code: Code
    public var resource: ResourceDescriptor
    /// Who held the resource (ResourceBusy) or took it over (StaleVersion).
    public var holder: LeaseHolder?
    public var waited: Duration?
    public var maxWait: Duration?
    public var message: String
    /// The error that caused this one (the ledger's busy error behind `dbBusy`).
    public var underlying: (any Error)?
    public var file: String
    public var line: UInt

    public init(
        _ code: Code, resource: ResourceDescriptor, message: String, holder: LeaseHolder? = nil,
        waited: Duration? = nil, maxWait: Duration? = nil, underlying: (any Error)? = nil,
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.resource = resource
        self.message = message
        self.holder = holder
        self.waited = waited
        self.maxWait = maxWait
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "\(code.rawValue): \(message) (\(resource)"
        if let holder { text += ", holder \(holder)" }
        if let waited { text += ", waited \(Self.milliseconds(waited)) ms" }
        if let maxWait { text += " of at most \(Self.milliseconds(maxWait)) ms" }
        return text + ")"
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
