import Foundation

/// A fresh folder under the system temporary directory, removed by `remove()` or `withTemporaryDirectory`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "stomper-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath().path
        path = base + "/\(prefix)-\(UUID().uuidString.prefix(12))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with its own temporary folder and removes the folder afterwards, whatever happens.
@discardableResult
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    do {
        let result = try await body(directory.path)
        directory.remove()
        return result
    } catch {
        directory.remove()
        throw error
    }
}
