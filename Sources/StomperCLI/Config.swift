import ArgumentParser

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the configuration.",
        subcommands: [Dump.self])

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the merged configuration (defaults < stomper.toml < STOMPER_* < flags) and where each value came from.")

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print JSON instead of TOML.")
        var json = false

        func run() async throws {
            let session: Session
            do {
                session = try Session.open(global, flags: [:])
            } catch {
                throw Failure.exit(error, json: json)
            }
            if json {
                Terminal.json(session.resolved.dumpJSON())
            } else {
                Terminal.out(session.resolved.dumpTOML(), terminator: "")
            }
        }
    }
}
