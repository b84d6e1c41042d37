/// Runs work while holding a set of resources.
///
/// Implementations acquire in sorted order, wait at most the class's maximum wait for the mode,
/// and release on every exit path, including cancellation. `StompGuard` is the durable,
/// cross-process implementation; `InProcessGuard` serves a single process.
public protocol ResourceGuard: Sendable {
    func withResources<T: Sendable>(
        _ resources: [ResourceDescriptor], mode: OperationMode,
        _ body: @Sendable (LeaseGrant) async throws -> T
    ) async throws -> T

    /// Names the run later grants work for (shown by `stomper locks`).
    func attach(runID: String)
}

extension ResourceGuard {
    public func attach(runID: String) {}
}

/// What a holder gets while it holds its resources: the leases with their fencing tokens, and the
/// fencing check to call at the write itself.
public struct LeaseGrant: Sendable {
    public let leases: [Lease]
    /// The newest of the grant's tokens.
    public let token: FencingToken
    private let fence: (@Sendable ([ResourceDescriptor]?) throws -> Void)?

    public init(leases: [Lease], fence: (@Sendable ([ResourceDescriptor]?) throws -> Void)?) {
        self.leases = leases
        self.token = leases.map(\.token).max() ?? FencingToken(0)
        self.fence = fence
    }

    private init(token: FencingToken) {
        self.leases = []
        self.token = token
        self.fence = nil
    }

    /// A grant that fences nothing (coordination disabled, or a guard for one process).
    public static func unfenced(token: FencingToken) -> LeaseGrant { LeaseGrant(token: token) }

    /// The fencing check: call it inside the write's critical section, right before writing.
    /// Throws `StaleVersion` if a newer holder was granted (or wrote) any of `resources` (all of
    /// the grant's by default) since this grant; otherwise records the write.
    public func checkWrite(_ resources: [ResourceDescriptor]? = nil) throws {
        try fence?(resources)
    }
}
