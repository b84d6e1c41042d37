import Foundation
import MCP
import StomperTestSupport
import SystemPackage
import Testing

/// `stomper mcp` as a real subprocess with the SDK's own client on its standard input and output.
final class MCPConnection: @unchecked Sendable {
    let process: Process
    let client: Client
    private let input: Pipe
    private let output: Pipe
    /// Progress notifications received, in order.
    let progress = Progress()

    actor Progress {
        private(set) var notifications: [ProgressNotification.Parameters] = []
        func add(_ parameters: ProgressNotification.Parameters) { notifications.append(parameters) }
    }

    private init(process: Process, client: Client, input: Pipe, output: Pipe) {
        self.process = process
        self.client = client
        self.input = input
        self.output = output
    }

    /// Starts `stomper mcp -C root` with `environment` over the test's own and connects a client.
    static func start(root: String, name: String = "stomper-tests", environment: [String: String] = [:]) async throws -> MCPConnection {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: StomperBinary.path)
        process.arguments = ["mcp", "-C", root]
        process.environment = ProcessInfo.processInfo.environment
            .merging(["STOMPER_DOCS_ENABLED": "false", "STOMPER_CI": "0"]) { $1 }
            .merging(environment) { $1 }
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let client = Client(name: name, version: "1.0")
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: output.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: input.fileHandleForWriting.fileDescriptor))
        let connection = MCPConnection(process: process, client: client, input: input, output: output)
        await client.onNotification(ProgressNotification.self) { [progress = connection.progress] message in
            await progress.add(message.params)
        }
        try await client.connect(transport: transport)
        return connection
    }

    /// Calls a tool; returns its structured content and whether it is a tool error.
    func call(_ name: String, _ arguments: [String: Value] = [:], progressToken: ProgressToken? = nil) async throws -> (Value, Bool) {
        let context: RequestContext<CallTool.Result> = try await client.callTool(
            name: name, arguments: arguments, meta: progressToken.map { Metadata(progressToken: $0) })
        let result = try await context.value
        let text = result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }
        #expect(!text.isEmpty, "\(name) answered without a text summary")
        return (result.structuredContent ?? .null, result.isError ?? false)
    }

    /// Calls a tool that must succeed; returns its structured content as an object.
    func ok(
        _ name: String, _ arguments: [String: Value] = [:], progressToken: ProgressToken? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Value] {
        let (value, isError) = try await call(name, arguments, progressToken: progressToken)
        #expect(!isError, "\(name) failed: \(value)", sourceLocation: sourceLocation)
        return try #require(value.objectValue, "\(name) returned no object: \(value)", sourceLocation: sourceLocation)
    }

    /// Calls a tool that must fail; returns its error code and message.
    func failure(
        _ name: String, _ arguments: [String: Value] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (code: String, message: String) {
        let (value, isError) = try await call(name, arguments)
        #expect(isError, "\(name) should have failed: \(value)", sourceLocation: sourceLocation)
        let error = value.objectValue?["error"]?.objectValue
        return (error?["code"]?.stringValue ?? "", error?["message"]?.stringValue ?? "")
    }

    /// Disconnects and waits (bounded) for the server to exit on its own.
    func close() async throws {
        await client.disconnect()
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        #expect(!process.isRunning, "stomper mcp did not exit when its client went away")
    }
}

extension Value {
    subscript(_ key: String) -> Value? { objectValue?[key] }
    var int: Int? { intValue ?? doubleValue.map { Int($0) } }
}
