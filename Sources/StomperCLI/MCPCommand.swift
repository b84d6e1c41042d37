import ArgumentParser
import Foundation
import Logging
import MCP
import StomperCore
import StomperMCP

/// `stomper mcp`: serves the repository's fixer and leases to MCP clients over standard input and
/// output until the client disconnects. Standard output carries protocol messages only; logs go
/// to standard error (`-v` for debug detail).
struct MCPServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve stomper's tools (check, fix, status, claim, write_file, …) to coding agents over MCP on stdio.",
        discussion: "Add it to Claude Code with `claude mcp add stomper -- stomper mcp`; see docs/MCP.md.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context: StomperMCPServer.Context
        let server: StomperMCPServer
        do {
            let workspace = try global.openWorkspace()
            context = StomperMCPServer.Context(root: workspace.root, executable: Self.executablePath(), version: StomperVersion.full)
            var logger = Logger(label: "stomper.mcp", factory: { StreamLogHandler.standardError(label: $0) })
            logger.logLevel = global.verbose ? .debug : .notice
            let ledger = try workspace.openLedger()
            server = StomperMCPServer(context: context, ledger: ledger, guardian: workspace.makeGuard(ledger: ledger), logger: logger)
        } catch {
            throw Failure.exit(error, json: false)
        }
        do {
            try await server.run(transport: StdioTransport())
        } catch {
            Terminal.err("stomper: mcp: \(error)")
            throw ExitCode(2)
        }
    }

    /// This process's executable, which the tools run for their commands.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
