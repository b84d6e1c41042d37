import MCP

/// Typed access to a tool call's arguments. Every accessor names the argument in its error, so a
/// client learns which one to fix; arguments a tool does not know are refused the same way.
struct ToolArguments: Sendable {
    let values: [String: Value]

    init(_ values: [String: Value]?, allowed: Set<String>) throws(MCPToolError) {
        self.values = values ?? [:]
        if let unknown = self.values.keys.sorted().first(where: { !allowed.contains($0) }) {
            let known = allowed.sorted().joined(separator: ", ")
            throw MCPToolError.argument(unknown, "is not an argument of this tool (it takes: \(known.isEmpty ? "none" : known))")
        }
    }

    private func present(_ name: String) -> Value? {
        guard let value = values[name], !value.isNull else { return nil }
        return value
    }

    func string(_ name: String) throws(MCPToolError) -> String? {
        guard let value = present(name) else { return nil }
        guard let text = value.stringValue else { throw MCPToolError.argument(name, "must be a string") }
        return text
    }

    func requiredString(_ name: String) throws(MCPToolError) -> String {
        guard let text = try string(name) else { throw MCPToolError.argument(name, "is required") }
        guard !text.isEmpty else { throw MCPToolError.argument(name, "must not be empty") }
        return text
    }

    func strings(_ name: String) throws(MCPToolError) -> [String] {
        guard let value = present(name) else { return [] }
        if let single = value.stringValue { return [single] }
        guard let array = value.arrayValue else { throw MCPToolError.argument(name, "must be an array of strings") }
        var result: [String] = []
        for item in array {
            guard let text = item.stringValue, !text.isEmpty else {
                throw MCPToolError.argument(name, "must be an array of non-empty strings")
            }
            result.append(text)
        }
        return result
    }

    func bool(_ name: String, default fallback: Bool) throws(MCPToolError) -> Bool {
        guard let value = present(name) else { return fallback }
        guard let flag = value.boolValue else { throw MCPToolError.argument(name, "must be true or false") }
        return flag
    }

    /// An integer in `range`; a JSON number with no fraction (`4.0`) counts as one.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(MCPToolError) -> Int? {
        guard let value = present(name) else { return nil }
        let number: Int? = value.intValue ?? value.doubleValue.flatMap { $0.rounded() == $0 && abs($0) < 1e15 ? Int($0) : nil }
        guard let number else { throw MCPToolError.argument(name, "must be an integer") }
        guard range.contains(number) else {
            throw MCPToolError.argument(name, "must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
        }
        return number
    }

    /// A positive number of seconds, at most `limit`.
    func seconds(_ name: String, limit: Double) throws(MCPToolError) -> Duration? {
        guard let value = present(name) else { return nil }
        guard let number = value.doubleValue ?? value.intValue.map(Double.init) else {
            throw MCPToolError.argument(name, "must be a number of seconds")
        }
        guard number > 0, number <= limit else {
            throw MCPToolError.argument(name, "must be more than 0 and at most \(Int(limit)) seconds, not \(number)")
        }
        return .milliseconds(Int64((number * 1000).rounded()))
    }
}
