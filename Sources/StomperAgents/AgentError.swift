public import StomperErrors

/// The one error type of StomperAgents: an agent cannot be used at all. `detailedDescription`
/// adds where the error was made.
public struct AgentError: StomperError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The agent's settings are unusable.
        public static let badConfiguration = Code("badConfiguration")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var file: String
    public var line: UInt

    public init(_ code: Code, _ message: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { message }
}
