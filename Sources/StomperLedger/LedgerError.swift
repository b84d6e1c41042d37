import GRDB
public import StomperErrors

/// The one error type of StomperLedger. `detailedDescription` adds SQLite's result code and
/// message when the database failed, the underlying error and where the error was made.
public struct LedgerError: StomperError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The database is locked by another writer for longer than the maximum wait (CRIT_DB).
        public static let busy = Code("busy")
        /// A job transition the state machine forbids.
        public static let illegalTransition = Code("illegalTransition")
        /// A run or job that does not exist.
        public static let notFound = Code("notFound")
        /// The database could not be opened, migrated or written.
        public static let storage = Code("storage")
        /// A file given to import is not a stomper ledger or cache export.
        public static let notALedger = Code("notALedger")
        /// A file given to import was written by a newer stomper (a schema migration unknown here).
        public static let newerSchema = Code("newerSchema")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?
    public var file: String
    public var line: UInt

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { message }
}

extension LedgerError {
    public var details: [ErrorDetail] {
        guard let error = underlying as? DatabaseError else { return [] }
        // The statement's SQL is left out: its arguments could hold paths or diagnostics, and GRDB
        // hides them too unless asked.
        var value = "result code \(error.extendedResultCode)"
        if let message = error.message, !value.contains(message) { value += ": " + message }
        return [ErrorDetail("sqlite", value)]
    }
}
