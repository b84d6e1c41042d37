import ArgumentParser
import StomperCore

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the configuration.",
        subcommands: [Dump.self, Docs.self])

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the merged configuration (defaults < stomper.toml < STOMPER_* < flags) and where each value came from.")

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print JSON instead of TOML.")
        var json = false

        func run() async throws {
            let workspace: Workspace
            do {
                workspace = try global.openWorkspace()
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(workspace.settings.dumpJSON())
            } else {
                Terminal.out(workspace.settings.dumpTOML(), terminator: "")
            }
        }
    }

    struct Docs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the configuration reference (docs/CONFIGURATION.md) from the settings table.",
            discussion: "Regenerate the committed file with `stomper config docs > docs/CONFIGURATION.md`.")

        func run() async throws {
            Terminal.out(ConfigurationReference.markdown(), terminator: "")
        }
    }
}
