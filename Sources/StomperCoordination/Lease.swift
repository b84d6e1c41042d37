import Foundation

/// Who holds a lease: one guard in one process, with the run it works for.
public struct LeaseHolder: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Unique per guard instance (a process may hold several, e.g. in tests).
    public var id: String
    public var pid: Int32
    public var host: String
    public var runID: String?

    public init(id: String? = nil, pid: Int32, host: String, runID: String? = nil) {
        self.id = id ?? UUID().uuidString.lowercased()
        self.pid = pid
        self.host = host
        self.runID = runID
    }

    /// This process, with a fresh id.
    public static func currentProcess(runID: String? = nil) -> LeaseHolder {
        LeaseHolder(pid: getpid(), host: ProcessInfo.processInfo.hostName, runID: runID)
    }

    /// A holder acting for a named client of this process (an MCP client's `claim`): the name is
    /// kept in `id` (`client:NAME#UUID`), so the ledger stores it without a new column and every
    /// process shows who holds a path.
    public static func client(_ name: String) -> LeaseHolder {
        LeaseHolder(id: "client:\(name)#\(UUID().uuidString.lowercased())", pid: getpid(), host: ProcessInfo.processInfo.hostName)
    }

    /// The client's name of a holder made by `client(_:)`, else nil.
    public var clientName: String? {
        guard id.hasPrefix("client:"), let hash = id.lastIndex(of: "#") else { return nil }
        return String(id[id.index(id.startIndex, offsetBy: 7)..<hash])
    }

    public var description: String {
        if let clientName { return "\(clientName) (through stomper pid \(pid) on \(host))" }
        return "stomper pid \(pid) on \(host)" + (runID.map { ", run \($0)" } ?? "")
    }
}

/// A grant of one resource to one holder until `expiresAt`, with the fencing token it was given.
public struct Lease: Sendable, Hashable, Codable {
    public var resource: ResourceDescriptor
    public var holder: LeaseHolder
    public var token: FencingToken
    /// Milliseconds since 1970 (wall clock: leases are shared between processes).
    public var acquiredAt: Int64
    public var expiresAt: Int64

    public init(resource: ResourceDescriptor, holder: LeaseHolder, token: FencingToken, acquiredAt: Int64, expiresAt: Int64) {
        self.resource = resource
        self.holder = holder
        self.token = token
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
    }

    public func isExpired(at now: Int64) -> Bool { expiresAt <= now }
}

/// The time leases are measured in: wall-clock milliseconds, injectable for tests.
public protocol LeaseClock: Sendable {
    func now() -> Int64
}

public struct SystemLeaseClock: LeaseClock {
    public init() {}
    public func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
