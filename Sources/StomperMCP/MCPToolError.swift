/// What a tool call can fail with before or outside the module it calls: a bad argument (named),
/// or a command that stopped with an error document. Module errors (`CoordinationError`,
/// `NoFollowError`, …) are turned into tool errors with their own code by `ToolResult.failure`.
public struct MCPToolError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable {
        /// An argument is missing, of the wrong type or out of range; the message names it.
        case invalidArgument = "invalid_argument"
        /// No tool has that name.
        case unknownTool = "unknown_tool"
        /// A path is outside the repository, under `.git`, or goes through a symbolic link.
        case forbiddenPath = "forbidden_path"
        /// The run is unknown to this server, or not running.
        case notRunning = "not_running"
        /// A stomper command the tool ran could not start or printed no document.
        case commandFailed = "command_failed"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static func argument(_ name: String, _ problem: String) -> MCPToolError {
        MCPToolError(.invalidArgument, "argument `\(name)` \(problem)")
    }
}
