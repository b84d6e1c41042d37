import MCP
import StomperCoordination
import StomperFiles
import StomperLedger

/// How a tool answers: structured content (an object, as MCP requires) with a one-paragraph text
/// summary, or a tool error carrying the failing module's code and message.
enum ToolResult {
    static func success(_ structured: Value, summary: String) -> CallTool.Result {
        let object: Value = structured.objectValue != nil ? structured : .object(["result": structured])
        let content: Value? = object
        return CallTool.Result(content: [.text(text: summary, annotations: nil, _meta: nil)], structuredContent: content, isError: false)
    }

    static func failure(_ error: any Error) -> CallTool.Result {
        let (code, message) = codeAndMessage(error)
        let structured: Value? = .object(["error": .object(["code": .string(code), "message": .string(message)])])
        return CallTool.Result(
            content: [.text(text: "\(code): \(message)", annotations: nil, _meta: nil)],
            structuredContent: structured, isError: true)
    }

    /// The error's own code (`StaleVersion`, `ResourceBusy`, `invalid_argument`, `git_detached_head`…).
    static func codeAndMessage(_ error: any Error) -> (String, String) {
        switch error {
        case let error as MCPToolError: return (error.code.rawValue, error.message)
        case let error as StomperCommand.Failed: return (error.code, error.message)
        case let error as CoordinationError:
            var message = error.message
            if let holder = error.holder {
                message += error.code == .resourceBusy ? "; held by \(holder)" : "; now held by \(holder)"
            }
            return (error.code.rawValue, message + " (\(error.resource.key))")
        case let error as NoFollowError:
            let refused: Set<NoFollowError.Code> = [.symbolicLink, .invalidPath, .notRegularFile]
            return (refused.contains(error.code) ? MCPToolError.Code.forbiddenPath.rawValue : "file_\(error.code)", error.description)
        case let error as LedgerError: return ("ledger_\(error.code)", error.description)
        default: return ("internal_error", String(describing: error))
        }
    }
}
