import ArgumentParser
import StomperGit
import StomperProcess

@main
struct Stomper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stomper",
        abstract: "Fix lint and type errors file by file, in parallel, one verified commit per file.",
        discussion: """
            stomper lints the repository once, then for each file with diagnostics takes an isolated \
            git worktree, runs a fixer there, verifies the result by linting again, and commits the \
            file's fix on the current branch. Files with uncommitted changes are never touched.

            Exit status: 0 everything targeted was fixed (or nothing to do), 1 some files were not \
            fixed, 2 usage, configuration or environment error.
            """,
        version: StomperVersion.full,
        subcommands: [
            Init.self, Fix.self, Resume.self, Land.self, Check.self, Status.self, Runs.self, Show.self, Tail.self, Report.self, Locks.self,
            Stats.self,
            Docgen.self, Config.self, Cache.self, Doctor.self, MCPServe.self,
        ]
    )

    /// Caps glibc's malloc arenas before anything runs (see `MallocArenas`), then parses and runs.
    static func main() async {
        MallocArenas.limit()
        await main(nil)
    }
}

enum StomperVersion {
    static let current = "0.1.0"
    /// What `stomper --version` prints: the version, the commit it was built from, the libgit2 in use.
    static var full: String { "\(current) (commit \(BuildInfo.commit), libgit2 \(LibGit2Library.version))" }
}
