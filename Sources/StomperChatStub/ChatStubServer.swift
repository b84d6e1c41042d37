import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A scripted OpenAI-compatible chat endpoint on 127.0.0.1, for tests and demos.
///
/// Serves `POST /v1/chat/completions` (answers in the order of its `ChatStubScript`; as
/// server-sent events when the request has `"stream": true`) and `GET /v1/models`. One thread per
/// connection, one request per connection (`Connection: close`). Anything else is answered 404
/// and recorded, so a client sent here as its HTTP proxy shows every request it tried to make.
/// It binds only the loopback address, never a public interface.
public final class ChatStubServer: Sendable {
    /// The bound port (the ephemeral one when started with port 0).
    public let port: UInt16
    /// `http://127.0.0.1:PORT/v1`, what a client takes as its base URL.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    private let listener: Int32
    /// A pipe whose read end becomes readable once `stop()` is called; it wakes the accept loop
    /// and cuts short slow replies. Closed in `deinit`, after every thread let go of the server.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let acceptLoopFinished = DispatchSemaphore(value: 0)
    private let observer: (@Sendable (ChatStubRequest) -> Void)?

    struct State {
        var script: ChatStubScript
        var requests: [ChatStubRequest] = []
        var stopped = false
    }

    let state: Mutex<State>

    /// Binds 127.0.0.1:`port` (0 for an ephemeral port) and starts serving. `observer` is told of
    /// every request as soon as its reply is chosen, before a slow reply starts waiting
    /// (`stomper-chat-stub` logs them with it; tests await arrivals with it).
    public init(
        script: ChatStubScript = ChatStubScript(), port: UInt16 = 0,
        observer: (@Sendable (ChatStubRequest) -> Void)? = nil
    ) throws {
        state = Mutex(State(script: script))
        self.observer = observer
        #if os(Linux)
            let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
            let socketType = SOCK_STREAM
        #endif
        let listener = socket(AF_INET, socketType, 0)
        guard listener >= 0 else { throw ChatStubError("cannot create a socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            let code = errno
            close(listener)
            throw ChatStubError("cannot listen on 127.0.0.1:\(port)", errno: code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            let code = errno
            close(listener)
            throw ChatStubError("cannot create a pipe", errno: code)
        }
        self.listener = listener
        self.port = UInt16(bigEndian: address.sin_port)
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        Self.closeOnExec(pipeEnds[0])
        Self.closeOnExec(pipeEnds[1])
        // The accept loop holds the server until stop(); it is the only long-lived thread.
        Thread { [self] in acceptLoop() }.start()
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Runs `body` with a started server and stops it afterwards, whatever happens.
    public static func withServer<T>(
        script: ChatStubScript = ChatStubScript(),
        _ body: (ChatStubServer) async throws -> T
    ) async throws -> T {
        let server = try ChatStubServer(script: script)
        defer { server.stop() }
        return try await body(server)
    }

    /// Every request received so far, oldest first.
    public var requests: [ChatStubRequest] { state.withLock { $0.requests } }

    /// Adds replies to the end of the queue.
    public func enqueue(_ replies: [ChatStubReply]) {
        state.withLock { $0.script.replies += replies }
    }

    /// Closes the listening socket (new connections are refused once this returns) and cuts short
    /// replies that are waiting. Idempotent.
    public func stop() {
        let first = state.withLock { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        acceptLoopFinished.wait()
    }

    private func acceptLoop() {
        defer {
            close(listener)
            acceptLoopFinished.signal()
        }
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0, fds[1].revents == 0 else { return }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            Self.closeOnExec(client)
            Thread { [self] in serve(HTTPConnection(descriptor: client)) }.start()
        }
    }

    private func serve(_ connection: HTTPConnection) {
        guard let request = connection.readRequest() else { return }
        var record = ChatStubRequest(
            method: request.method, path: request.path, headers: request.headers, body: request.body,
            chat: try? JSONDecoder().decode(ChatStubRequestBody.self, from: request.body), reply: nil, status: 0)
        let (response, reply) = answer(request, chat: record.chat)
        record.reply = reply
        record.status = response.http.status
        record.usage = response.usage
        state.withLock { $0.requests.append(record) }
        observer?(record)
        if case .slow(let milliseconds) = reply, !connection.wait(milliseconds: milliseconds, wake: wakeRead) { return }
        connection.respond(response.http)
    }

    /// Keeps the descriptor out of processes the test spawns (the listener gets it atomically
    /// with SOCK_CLOEXEC on Linux; Glibc does not export accept4 or pipe2).
    private static func closeOnExec(_ descriptor: Int32) {
        _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
    }

    /// Takes the next scripted reply for a chat request.
    func nextReply() -> ChatStubReply {
        state.withLock { state in
            state.script.replies.isEmpty ? state.script.fallback : state.script.replies.removeFirst()
        }
    }

    var script: ChatStubScript { state.withLock { $0.script } }
}

/// The stub could not start.
public struct ChatStubError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var errno: Int32

    init(_ message: String, errno: Int32) {
        self.message = message
        self.errno = errno
    }

    public var description: String { "\(message): \(String(cString: strerror(errno)))" }
}
