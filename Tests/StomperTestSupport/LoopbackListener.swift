import Foundation

/// A TCP listener on 127.0.0.1 with a free port; connections wait in its backlog, never accepted.
/// Tests use it to see whether a process can reach this machine's network.
public struct LoopbackListener: Sendable {
    public let descriptor: Int32
    public let port: UInt16

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError(message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            Glibc.close(fd)
            throw FixtureError(message: "bind/listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// A bash command that prints `connected` if it can open a connection to the listener.
    public var connectCommand: String { "exec 3<>/dev/tcp/127.0.0.1/\(port) && echo connected" }

    public func close() { _ = Glibc.close(descriptor) }
}

/// Whether some process still has the FIFO at `path` open for reading, seen without waiting:
/// opening it for writing without blocking fails with ENXIO when nobody reads it. When somebody
/// does, a line is written to it (letting a child that waits on it go on).
public func fifoHasReader(_ path: String) -> Bool {
    let descriptor = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    if descriptor < 0 { return errno != ENXIO }
    _ = "go\n".withCString { write(descriptor, $0, 3) }
    close(descriptor)
    return true
}

/// A shell fragment that starts a background child holding `folder/held` (a FIFO it creates
/// with `mkfifo`) open and waits until it runs; the child, once it reads a line from the FIFO,
/// appends `late` to `file`. `fifoHasReader(folder + "/held")` tells afterwards if it still lives.
public func lateWriterScript(folder: String, file: String) throws -> String {
    for fifo in ["held", "ready"] {
        guard mkfifo(folder + "/" + fifo, 0o600) == 0 else { throw FixtureError(message: "mkfifo: \(String(cString: strerror(errno)))") }
    }
    return """
        ( exec 3<>\(folder)/held; echo ready > \(folder)/ready; read token <&3; echo late >> \(file) ) >/dev/null 2>&1 &
        read ready < \(folder)/ready
        """
}
