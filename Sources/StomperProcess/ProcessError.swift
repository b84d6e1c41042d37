import Foundation
public import StomperErrors
import Subprocess
#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// The one error type of StomperProcess: a process could not be started or watched.
/// A non-zero exit is not an error; it is a `ProcessResult`. `detailedDescription` adds the command
/// line, the errno of a failed launch and where the error was made.
public struct ProcessError: StomperError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The executable is not on `PATH` or not at the given path.
        public static let executableNotFound = Code("executableNotFound")
        /// The process could not be started (permissions, working directory, resources).
        public static let launchFailed = Code("launchFailed")
        /// A sandbox was asked for and bubblewrap (`bwrap`) is not installed.
        public static let sandboxMissing = Code("sandboxMissing")
        /// bubblewrap is installed but cannot create namespaces here (a hardened kernel, a CI runner).
        public static let sandboxRefused = Code("sandboxRefused")
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The command line that failed, for context. Never contains the standard input.
    public var commandLine: String
    public var underlying: (any Error)?
    public var file: String
    public var line: UInt

    public init(
        _ code: Code, _ message: String, commandLine: String, underlying: (any Error)? = nil,
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.commandLine = commandLine
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        code == .sandboxMissing || code == .sandboxRefused ? message : "\(message): \(commandLine)"
    }

    /// The launch was refused because the executable is open for writing (ETXTBSY).
    var isTextFileBusy: Bool {
        guard code == .launchFailed, let error = underlying as? SubprocessError else { return false }
        return error.underlyingError == Errno(rawValue: ETXTBSY)
    }
}

extension ProcessError {
    public var details: [ErrorDetail] {
        // The command line is in `description` already, except for the sandbox codes.
        var details = description.contains(commandLine) ? [] : [ErrorDetail("command", commandLine)]
        if let error = underlying as? SubprocessError, let errno = error.underlyingError {
            details.append(.errno(errno.rawValue))
        }
        return details
    }
}
