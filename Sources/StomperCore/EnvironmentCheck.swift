import Foundation
import StomperAgents
import StomperGit
import StomperLedger
import StomperProcess
import StomperQuality

/// What `stomper doctor` checks: git, libgit2, the enabled linters, the agents of the chain and
/// their credentials (presence only, never a value), the sandbox, the ledger and its file modes.
/// Each check is ok, a warning or a problem with the command that fixes it.
public enum EnvironmentCheck {
    public struct Finding: Encodable, Sendable {
        public enum Status: String, Encodable, Sendable { case ok, warning, problem }
        public var name: String
        public var status: Status
        public var detail: String
        public var fix: String?

        public init(name: String, status: Status, detail: String, fix: String? = nil) {
            self.name = name
            self.status = status
            self.detail = detail
            self.fix = fix
        }
    }

    public struct Report: Encodable, Sendable {
        public var ok: Bool
        public var checks: [Finding]
        /// The configuration's warnings, for the caller to show; not part of the report.
        public var warnings: [String] = []

        enum CodingKeys: String, CodingKey { case ok, checks }
    }

    /// Runs every check for the repository around `directory`. Throws only when there is no
    /// repository; a configuration that cannot be read is a problem finding (worded by
    /// `describe`), and the checks after it use the defaults.
    public static func run(
        at directory: String, configFile: String?, environment: [String: String],
        describe: (any Error) -> String
    ) async throws -> Report {
        let repository = try GitRepository.discover(from: directory)
        var checks: [Finding] = []
        var configuration = StomperConfiguration()
        var warnings: [String] = []
        do {
            let workspace = try Workspace.open(at: directory, configFile: configFile, environment: environment)
            configuration = workspace.configuration
            warnings = workspace.warnings
            checks.append(Finding(name: "configuration", status: .ok, detail: "read (see `stomper config dump`)"))
        } catch {
            checks.append(
                Finding(
                    name: "configuration", status: .problem, detail: describe(error) + "; the checks below use the defaults",
                    fix: "edit the file named above (`stomper init --force` writes a new stomper.toml)"))
        }
        checks.append(await git(environment))
        checks.append(Finding(name: "libgit2", status: .ok, detail: LibGit2Library.version))
        for linter in LinterKind.enabled(in: configuration) {
            checks.append(await self.linter(linter, configuration: configuration, environment: environment))
        }
        for kind in configuration.chain { checks += agent(kind, configuration: configuration, environment: environment) }
        checks.append(await sandbox(configuration, environment: environment))
        checks += await ledger(commonDir: repository.commonDir)
        return Report(ok: !checks.contains { $0.status == .problem }, checks: checks, warnings: warnings)
    }

    /// The first line `executable --version` prints, or nil when it cannot be run.
    static func version(_ executable: String, _ arguments: [String] = ["--version"]) async -> String? {
        guard let result = try? await ProcessRunner.run(ProcessSpec(executable: executable, arguments: arguments, timeout: .seconds(30))),
            result.exitCode == 0
        else { return nil }
        let text = result.stdoutText.isEmpty ? result.stderrText : result.stdoutText
        return text.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces).displaySafe } ?? ""
    }

    static func git(_ environment: [String: String]) async -> Finding {
        guard VersionManagerShim.locate("git", environment: ["PATH": environment["PATH"] ?? ""]) != nil,
            let version = await version("git")
        else {
            return Finding(
                name: "git", status: .warning, detail: "the git command is not on PATH (stomper uses libgit2; you need git to review its commits)",
                fix: "apt-get install git")
        }
        return Finding(name: "git", status: .ok, detail: version)
    }

    static func linter(_ kind: LinterKind, configuration: StomperConfiguration, environment: [String: String]) async -> Finding {
        let name = kind.rawValue
        let (executable, key, install) = (kind.executable(in: configuration), kind.executableKey, kind.installHint)
        guard let path = VersionManagerShim.locate(executable, environment: ["PATH": environment["PATH"] ?? ""]) else {
            return Finding(
                name: name, status: .problem, detail: "`\(executable.displaySafe)` is not on PATH",
                fix: "\(install) (or set \(key) to its path)")
        }
        guard let version = await version(path) else {
            return Finding(name: name, status: .problem, detail: "\(path.displaySafe) --version failed", fix: "reinstall it: \(install)")
        }
        return Finding(name: name, status: .ok, detail: "\(version) (\(path.displaySafe))")
    }

    static func agent(
        _ kind: StomperConfiguration.AgentKind, configuration: StomperConfiguration,
        environment: [String: String]
    ) -> [Finding] {
        let searchPath = ["PATH": environment["PATH"] ?? ""]
        let name = "agent \(kind.rawValue)"
        switch kind {
        case .autofix:
            return [Finding(name: name, status: .ok, detail: "the linters' own fixes")]
        case .command:
            guard let program = configuration.command.first else {
                return [
                    Finding(
                        name: name, status: .problem, detail: "agent.command is empty",
                        fix: "set agent.command in stomper.toml, e.g. [\"my-agent\", \"{file}\"]")
                ]
            }
            guard VersionManagerShim.locate(program, environment: searchPath) != nil else {
                return [
                    Finding(name: name, status: .problem, detail: "`\(program.displaySafe)` is not on PATH", fix: "install it, or fix agent.command")
                ]
            }
            return [Finding(name: name, status: .ok, detail: program.displaySafe)]
        case .chat:
            guard let variable = configuration.chat.apiKeyVariable else {
                return [Finding(name: name, status: .ok, detail: "\(configuration.chat.baseURL.displaySafe), no API key configured")]
            }
            guard !(environment[variable] ?? "").isEmpty else {
                return [
                    Finding(
                        name: name, status: .problem, detail: "\(variable) is not set (agent.chat.api_key_env)", fix: "export \(variable)=<your key>")
                ]
            }
            return [Finding(name: name, status: .ok, detail: "\(configuration.chat.baseURL.displaySafe), \(variable) set")]
        default:
            guard let preset = AgentPreset(rawValue: kind.rawValue) else { return [] }
            let executable = configuration.agentExecutable.isEmpty ? preset.executable : configuration.agentExecutable
            var checks: [Finding] = []
            if let path = VersionManagerShim.locate(executable, environment: searchPath) {
                checks.append(Finding(name: name, status: .ok, detail: path.displaySafe))
            } else {
                checks.append(
                    Finding(
                        name: name, status: .problem, detail: "`\(executable.displaySafe)` is not on PATH",
                        fix: preset.installHint + " (or set agent.executable)"))
            }
            // Presence only: a value is never read beyond "set or not".
            let sets = preset.requiredEnvironment
            if let set = sets.first(where: { $0.allSatisfy { !(environment[$0] ?? "").isEmpty } }) {
                checks.append(Finding(name: "\(name) credentials", status: .ok, detail: set.joined(separator: ", ") + " set"))
            } else {
                checks.append(
                    Finding(
                        name: "\(name) credentials", status: .warning,
                        detail: "none of " + sets.map { $0.joined(separator: " + ") }.joined(separator: ", ")
                            + " is set; a stored login of the CLI may do",
                        fix: "export \(sets[0][0])=<your key>"))
            }
            return checks
        }
    }

    static func sandbox(_ configuration: StomperConfiguration, environment: [String: String]) async -> Finding {
        guard configuration.sandbox == .bwrap else {
            return Finding(
                name: "sandbox", status: .warning, detail: "off (agent.sandbox = \"none\"): agents run uncontained, checked after each attempt only",
                fix: "apt-get install bubblewrap, then set agent.sandbox = \"bwrap\"")
        }
        do {
            let sandbox = try await Sandbox.probe(searchPath: environment["PATH"] ?? "")
            return Finding(name: "sandbox", status: .ok, detail: "bubblewrap at \(sandbox.bwrap.displaySafe) runs a contained `true`")
        } catch let error as ProcessError {
            let fix = error.code == .sandboxMissing ? "apt-get install bubblewrap" : "see the detail; or set agent.sandbox = \"none\" in stomper.toml"
            return Finding(name: "sandbox", status: .problem, detail: error.message, fix: fix)
        } catch {
            return Finding(name: "sandbox", status: .problem, detail: "\(error)", fix: "apt-get install bubblewrap")
        }
    }

    /// The ledger's integrity and schema, and the permissions of `.git/stomper` (0700) and its
    /// database files (0600). A missing ledger is fine: the first run creates it.
    static func ledger(commonDir: String) async -> [Finding] {
        let folder = commonDir + "/stomper"
        let path = folder + "/state.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            return [Finding(name: "ledger", status: .ok, detail: "none yet (the first run creates \(path.displaySafe))")]
        }
        var checks: [Finding] = []
        let aside = "mv '\(path)' '\(path).broken' (the next run starts a new ledger; the old history stays in the moved file)"
        do {
            let ledger = try Ledger.open(commonDir: commonDir, maxWait: .seconds(5))
            let problems = try await ledger.integrityCheck()
            let applied = try await ledger.appliedMigrations().count
            if problems != ["ok"] {
                checks.append(
                    Finding(
                        name: "ledger", status: .problem,
                        detail: "integrity check failed: " + problems.prefix(3).joined(separator: "; ").displaySafe, fix: aside))
            } else if applied > Ledger.knownMigrations {
                checks.append(
                    Finding(
                        name: "ledger", status: .problem, detail: "schema v\(applied) is newer than this stomper's v\(Ledger.knownMigrations)",
                        fix: "upgrade stomper"))
            } else {
                checks.append(Finding(name: "ledger", status: .ok, detail: "\(path.displaySafe): integrity ok, schema v\(applied)"))
            }
        } catch {
            checks.append(Finding(name: "ledger", status: .problem, detail: "\(error)".displaySafe, fix: aside))
        }
        checks.append(permissions(folder: folder))
        return checks
    }

    static func permissions(folder: String) -> Finding {
        var loose: [String] = []
        func mode(_ path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
        }
        if let folderMode = mode(folder), folderMode & 0o077 != 0 { loose.append(folder) }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("state.sqlite") }.sorted()
        var looseFiles: [String] = []
        for file in files where (mode(folder + "/" + file) ?? 0) & 0o077 != 0 { looseFiles.append(folder + "/" + file) }
        guard loose.isEmpty && looseFiles.isEmpty else {
            let commands =
                (loose.isEmpty ? [] : ["chmod 700 '\(folder)'"])
                + (looseFiles.isEmpty ? [] : ["chmod 600 " + looseFiles.map { "'\($0)'" }.joined(separator: " ")])
            return Finding(
                name: "permissions", status: .problem,
                detail: "readable by others: " + (loose + looseFiles).joined(separator: ", ").displaySafe,
                fix: commands.joined(separator: " && "))
        }
        return Finding(name: "permissions", status: .ok, detail: "\(folder.displaySafe) is 0700, its database files 0600")
    }
}
