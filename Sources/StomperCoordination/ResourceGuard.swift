/// Runs work while holding a set of resources.
///
/// Implementations acquire in sorted order, wait at most the class's maximum wait for the mode,
/// and release on every exit path, including cancellation. The anti-stomp layer provides a durable,
/// cross-process implementation; `InProcessGuard` serves a single process.
public protocol ResourceGuard: Sendable {
    func withResources<T: Sendable>(
        _ resources: [ResourceDescriptor], mode: OperationMode,
        _ body: @Sendable (FencingToken) async throws -> T
    ) async throws -> T
}
