import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP/1.1 request as read from a socket.
struct HTTPRequest {
    var method: String
    var path: String
    /// Header names lower-cased; a repeated header keeps its last value.
    var headers: [String: String]
    var body: Data
}

/// One response, always sent with `Connection: close`: with `Content-Length`, or, when `chunks`
/// is set (a streamed reply), with `Transfer-Encoding: chunked`, one write per chunk, as a server
/// that generates as it goes would send it.
struct HTTPResponse {
    var status: Int
    var headers: [(String, String)] = [("Content-Type", "application/json")]
    var body: Data
    var chunks: [Data]?

    static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(text.utf8))
    }

    static let reasons: [Int: String] = [
        100: "Continue", 200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
        411: "Length Required", 413: "Content Too Large", 429: "Too Many Requests", 500: "Internal Server Error",
    ]
}

/// A connected client socket, owned by one thread, closed by `deinit`.
final class HTTPConnection {
    private let descriptor: Int32
    /// Requests larger than this are refused; the stub only ever sees small source files.
    static let maximumBody = 32 << 20
    private static let maximumHeader = 64 << 10

    init(descriptor: Int32) {
        self.descriptor = descriptor
        // A client that never finishes its request must not hold the thread forever.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    deinit {
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
    }

    /// The next request, or nil when the client closed the connection or sent something unusable
    /// (then `error` has been answered already when there was anything to answer).
    func readRequest() -> HTTPRequest? {
        var buffer = Data()
        var headerEnd: Range<Data.Index>?
        while headerEnd == nil {
            guard buffer.count < Self.maximumHeader, receive(into: &buffer) else { return nil }
            headerEnd = buffer.range(of: Data("\r\n\r\n".utf8))
        }
        guard let headerEnd, let head = String(data: buffer[..<headerEnd.lowerBound], encoding: .utf8) else { return nil }
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(buffer[headerEnd.upperBound...])
        if headers["transfer-encoding"] != nil {
            respond(.json(411, #"{"error":{"message":"stub: send a Content-Length body, not chunked"}}"#))
            return nil
        }
        let length = Int(headers["content-length"] ?? "0") ?? -1
        guard (0...Self.maximumBody).contains(length) else {
            respond(.json(413, #"{"error":{"message":"stub: missing or too large Content-Length"}}"#))
            return nil
        }
        if headers["expect"]?.lowercased() == "100-continue", body.count < length {
            write(Data("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        while body.count < length {
            guard receive(into: &body) else { return nil }
        }
        return HTTPRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body.prefix(length))
    }

    func respond(_ response: HTTPResponse) {
        var head = "HTTP/1.1 \(response.status) \(HTTPResponse.reasons[response.status] ?? "Status")\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        guard let chunks = response.chunks else {
            head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
            write(Data(head.utf8) + response.body)
            return
        }
        head += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        write(Data(head.utf8))
        for chunk in chunks where !chunk.isEmpty {
            write(Data((String(chunk.count, radix: 16) + "\r\n").utf8) + chunk + Data("\r\n".utf8))
        }
        write(Data("0\r\n\r\n".utf8))
    }

    /// Waits up to `milliseconds`; returns false early when the client hangs up or `wake` becomes
    /// readable (the server is stopping).
    func wait(milliseconds: Int, wake: Int32) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return true }
            let (seconds, attoseconds) = left.components
            let timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { return false }
            if fds[1].revents != 0 { return false }
            if fds[0].revents != 0 {
                // Readable: either more bytes (ignored) or end of stream, which means the client left.
                var byte: UInt8 = 0
                if recv(descriptor, &byte, 1, Int32(MSG_PEEK)) <= 0 || fds[0].revents & Int16(POLLHUP | POLLERR) != 0 { return false }
                _ = recv(descriptor, &byte, 1, 0)
            }
        }
    }

    private func receive(into buffer: inout Data) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[..<count])
            return true
        }
    }

    private func write(_ data: Data) {
        #if os(Linux)
            let flags = Int32(MSG_NOSIGNAL)
        #else
            let flags: Int32 = 0
        #endif
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(descriptor, raw.baseAddress! + offset, raw.count - offset, flags)
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return }
                offset += sent
            }
        }
    }
}
