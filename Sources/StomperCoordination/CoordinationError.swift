/// The one error type of StomperCoordination.
public struct CoordinationError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Hashable {
        /// Another holder kept the resource longer than the caller may wait.
        case resourceBusy
        /// The fencing token is older than the last write to the resource.
        case staleVersion
        /// A broken invariant inside the coordination layer.
        case `internal`
    }

    public var code: Code
    public var resource: ResourceDescriptor
    public var waited: Duration?
    public var maxWait: Duration?
    public var message: String

    public init(_ code: Code, resource: ResourceDescriptor, message: String, waited: Duration? = nil, maxWait: Duration? = nil) {
        self.code = code
        self.resource = resource
        self.message = message
        self.waited = waited
        self.maxWait = maxWait
    }

    public var description: String { "\(message) (\(resource))" }
}
