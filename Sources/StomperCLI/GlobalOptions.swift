import ArgumentParser
import Foundation

struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("C"), .long], help: "Run as if started in this directory.")
    var directory: String?

    @Option(name: .long, help: "Configuration file (default: stomper.toml at the repository root).")
    var config: String?

    @Flag(name: .shortAndLong, help: "Log what stomper does to standard error.")
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "Colour the status of result lines: auto (a live terminal display, unless NO_COLOR is set or TERM=dumb), always or never.",
            valueName: "when"))
    var color: ColorMode = .auto

    /// Runs once, right after parsing: tells `Failure` whether to explain errors in detail.
    func validate() throws {
        Failure.verbose = verbose
    }

    /// The directory to start from, absolute.
    var startDirectory: String {
        let current = FileManager.default.currentDirectoryPath
        guard let directory else { return current }
        return directory.hasPrefix("/") ? directory : current + "/" + directory
    }

    /// A path given on the command line (a report file), absolute: relative ones are from the
    /// start directory.
    func path(_ path: String) -> String {
        path.hasPrefix("/") ? path : startDirectory + "/" + path
    }
}
