import Foundation
import MCP
import StomperCoordination
import StomperFiles

/// The coordination tools for agents that edit files themselves: `claim` a path (a CRIT_CODE
/// lease and its fencing token), `write_file` with that token, `renew`, `release`. Leases live in
/// the ledger with those of every stomper process on the repository, so a client's claim keeps a
/// `stomper fix` run (and every other client) off the path, and the other way round.
///
/// A write goes through `StompGuard.fencedWrite`: the token must still be the path's current lease,
/// checked and written inside one ledger write transaction, so after a takeover only the newer
/// holder's bytes can land. Files are replaced atomically and flushed (`NoFollowFolder`), never
/// through a symbolic link, never under `.git`.
struct ClaimDesk: Sendable {
    let guardian: StompGuard
    let root: String
    /// How long a claim waits for a held path: the CRIT_CODE class's interactive maximum wait.
    let maxWait: Duration
    /// Largest content `write_file` accepts.
    static let maxBytes = 16 << 20

    /// A repository-relative path a client may claim and write: not absolute, no `.` or `..`
    /// component, no `.git` component (the repository's own data, a submodule's, or a hook).
    static func checkedPath(_ raw: String, argument: String) throws(MCPToolError) -> String {
        var path = raw
        while path.hasPrefix("./") { path.removeFirst(2) }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !raw.hasPrefix("/"), !components.isEmpty,
            components.allSatisfy({ $0 != "." && $0 != ".." && !$0.contains("\0") })
        else {
            throw MCPToolError(
                .forbiddenPath,
                "argument `\(argument)`: \(raw) is not a path inside the repository (give it relative to the repository root, without `..`)")
        }
        guard !components.contains(where: { $0.lowercased() == ".git" }) else {
            throw MCPToolError(.forbiddenPath, "argument `\(argument)`: \(raw) is under .git; the repository's own data is never written through MCP")
        }
        return components.joined(separator: "/")
    }

    func claim(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let raw = try arguments.strings("paths")
        guard !raw.isEmpty else { throw MCPToolError.argument("paths", "must name at least one file") }
        guard raw.count <= 1_000 else { throw MCPToolError.argument("paths", "may name at most 1000 files") }
        var paths: [String] = []
        for path in raw { paths.append(try Self.checkedPath(path, argument: "paths")) }
        let name = try arguments.requiredString("holder")
        guard name.count <= 200, !name.contains(where: \.isNewline) else {
            throw MCPToolError.argument("holder", "must be one line of at most 200 characters")
        }
        let ttl = try arguments.seconds("ttl_sec", limit: 3_600)
        let leases = try await guardian.claim(paths.map(ResourceDescriptor.file), holder: .client(name), ttl: ttl, maxWait: maxWait)
        let items = leases.map(Self.describe)
        let listed = leases.map { "\($0.resource.key) (token \($0.token))" }.joined(separator: ", ")
        return ToolResult.success(
            .object(["leases": .array(items)]),
            summary: "\(name) holds \(listed). Write with `write_file` and each path's token; `renew` before the lease runs out; `release` when done."
        )
    }

    func writeFile(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let path = try Self.checkedPath(try arguments.requiredString("path"), argument: "path")
        guard let content = try arguments.string("content") else { throw MCPToolError.argument("content", "is required") }
        let bytes = Array(content.utf8)
        guard bytes.count <= Self.maxBytes else {
            throw MCPToolError.argument("content", "is \(bytes.count) bytes; at most \(Self.maxBytes) are accepted")
        }
        let token = try Self.token(arguments)
        let folder = NoFollowFolder(root: root)
        let resource = ResourceDescriptor.file(path)
        let guardian = self.guardian
        // The write blocks on the ledger's write transaction and the disk: off the cooperative pool.
        try await Self.offPool {
            try guardian.fencedWrite(resource, token: token) {
                let permissions = (try? folder.readRegularFile(path).permissions) ?? 0o644
                try folder.replaceFile(path, with: bytes, permissions: permissions, durable: true)
            }
        }
        return ToolResult.success(
            .object(["path": .string(path), "token": .int(Int(token.value)), "bytes": .int(bytes.count)]),
            summary: "Wrote \(bytes.count) bytes to \(path) under token \(token).")
    }

    func renew(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let token = try Self.token(arguments)
        let ttl = try arguments.seconds("ttl_sec", limit: 3_600)
        let lease = try await guardian.renew(token: token, ttl: ttl)
        return ToolResult.success(
            Self.describe(lease),
            summary: "Renewed \(lease.resource.key) (token \(token)) until \(Self.timestamp(lease.expiresAt)).")
    }

    func release(_ arguments: ToolArguments) async throws -> CallTool.Result {
        let token = try Self.token(arguments)
        let lease = try await guardian.release(token: token)
        return ToolResult.success(Self.describe(lease), summary: "Released \(lease.resource.key) (token \(token)).")
    }

    private static func token(_ arguments: ToolArguments) throws(MCPToolError) -> FencingToken {
        guard let value = try arguments.integer("token", in: 1...Int.max) else { throw MCPToolError.argument("token", "is required") }
        return FencingToken(UInt64(value))
    }

    static func describe(_ lease: Lease) -> Value {
        .object([
            "path": .string(lease.resource.key), "token": .int(Int(lease.token.value)),
            "holder": .string(lease.holder.clientName ?? lease.holder.description),
            "acquired_at": .string(timestamp(lease.acquiredAt)), "expires_at": .string(timestamp(lease.expiresAt)),
        ])
    }

    /// ISO 8601 UTC with milliseconds, the JSON style of every stomper document.
    static func timestamp(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// Runs blocking work on a thread of its own, so waiting on the ledger lock or the disk never
    /// holds one of the few threads the cooperative pool has.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
