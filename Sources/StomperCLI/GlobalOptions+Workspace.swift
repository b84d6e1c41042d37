import Foundation
import Logging
import StomperCore

extension GlobalOptions {
    /// The workspace the options describe: the repository around `-C`, the configuration of
    /// `--config` (or the repository's) with `flags` on top, a logger at the `--verbose` level.
    /// The configuration's warnings are printed here, the one place the CLI opens a workspace.
    func openWorkspace(flags: [String: SettingValue] = [:]) throws -> Workspace {
        var logger = Logger(label: "stomper")
        logger.logLevel = verbose ? .debug : .warning
        let workspace = try Workspace.open(
            at: startDirectory, configFile: config, environment: ProcessInfo.processInfo.environment,
            flags: flags, logger: logger)
        for warning in workspace.warnings { Terminal.warn(warning) }
        return workspace
    }
}
