#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The error of one of stomper's modules (`GitError`, `LedgerError`, …), explained at two lengths.
///
/// `description` is one line for users. `detailedDescription` adds what a bug report needs: the
/// error's type and code, the source location where it was made, its context (`details`: paths,
/// command lines, exit statuses, errno, libgit2's code and class, SQLite's result code) and the
/// chain of underlying errors, each explained the same way. What `description` must not hold —
/// file contents, prompts, diffs, secrets — `details` must not hold either.
///
/// This module depends on nothing, so every module can adopt the protocol without a cycle.
public protocol StomperError: Error, CustomStringConvertible, Sendable {
    /// The module's extensible code type; its `description` is the stable name scripts rely on.
    associatedtype Code: Hashable & Sendable
    /// What kind of failure this is.
    var code: Code { get }
    /// The error this one wraps, if any.
    var underlying: (any Error)? { get }
    /// The `#fileID` of the place that made the error (for an error made by a module's helper,
    /// the helper's caller when the helper passes its caller's location on).
    var file: String { get }
    /// The `#line` of the place that made the error.
    var line: UInt { get }
    /// Context beyond `description`, in the order to show it. Empty by default.
    var details: [ErrorDetail] { get }
}

/// One named fact about an error: `path: src/a.py`, `exit status: 2`.
public struct ErrorDetail: Hashable, Sendable, CustomStringConvertible {
    public var label: String
    public var value: String

    public init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }

    /// A C `errno` with the system's text for it: `errno: 2 (No such file or directory)`.
    public static func errno(_ number: Int32) -> ErrorDetail {
        ErrorDetail("errno", "\(number) (\(String(cString: strerror(number))))")
    }

    public var description: String { "\(label): \(value)" }
}

extension StomperError {
    public var underlying: (any Error)? { nil }
    public var details: [ErrorDetail] { [] }

    /// The type and code, e.g. `GitError.notARepository`.
    public var qualifiedCode: String { "\(Self.self).\(code)" }

    /// Where the error was made, e.g. `StomperLedger/Ledger.swift:66`.
    public var sourceLocation: String { "\(file):\(line)" }

    /// `description`, then the lines of `ErrorChain.explanation(of:)`.
    public var detailedDescription: String {
        ([description] + ErrorChain.explanation(of: self)).joined(separator: "\n")
    }
}

/// Renders an error and the errors it wraps.
public enum ErrorChain {
    /// How many underlying errors are followed before the chain is cut (a cycle, or a chain
    /// built by a loop).
    public static let maximumDepth = 16

    /// The longest line shown, in characters: a command line holding a thousand paths or a
    /// prompt passed as an argument is cut, with the number of characters left out.
    public static let maximumLineLength = 2_000

    /// The lines that explain `error` beyond its one-line description, each indented by two
    /// spaces (a cause's own lines by two more):
    ///
    ///     at StomperLedger/Ledger.swift:66 (LedgerError.storage)
    ///     sqlite: result code 26 (file is not a database)
    ///     caused by GRDB.DatabaseError: SQLite error 26: file is not a database
    ///
    /// An error of another library is named by its module-qualified type and described by its
    /// `description`; what it carries beyond that, the module that wrapped it puts in its details.
    public static func explanation(of error: any Error) -> [String] {
        var lines: [String] = []
        var current: (any Error)? = error
        var depth = 0
        while let error = current {
            let indent = String(repeating: "  ", count: depth + 1)
            if depth > 0 {
                lines.append(String(repeating: "  ", count: depth) + "caused by " + headline(of: error))
            }
            guard depth < maximumDepth else {
                lines.append(indent + "(the rest of the chain is left out)")
                break
            }
            if let error = error as? any StomperError {
                lines.append(indent + "at \(error.sourceLocation)" + (depth == 0 ? " (\(error.qualifiedCode))" : ""))
                lines += error.details.map { indent + oneLine($0.description) }
                current = error.underlying
            } else {
                if depth == 0 { lines.append(indent + "type \(typeName(of: error))") }
                current = nil
            }
            depth += 1
        }
        return lines
    }

    /// `description` followed by `explanation(of:)`: an error of any type, explained.
    public static func detailedDescription(of error: any Error) -> String {
        ([oneLine(String(describing: error))] + explanation(of: error)).joined(separator: "\n")
    }

    /// A cause's first line: `LedgerError.storage: …` or `GRDB.DatabaseError: …`.
    private static func headline(of error: any Error) -> String {
        let name = (error as? any StomperError)?.qualifiedCode ?? typeName(of: error)
        return name + ": " + oneLine(String(describing: error))
    }

    private static func typeName(of error: any Error) -> String {
        String(reflecting: type(of: error))
    }

    /// Line breaks inside a description would break the indentation; they become ` | `.
    private static func oneLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " | ")
        guard line.count > maximumLineLength else { return line }
        return line.prefix(maximumLineLength) + "… (\(line.count - maximumLineLength) more characters)"
    }
}
