import ArgumentParser
import Foundation
import StomperAgents
import StomperCore
import StomperQuality

/// `stomper init`: surveys the project and writes a commented `stomper.toml`, or appends a
/// `[tool.stomper]` table to `pyproject.toml`.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a commented stomper.toml for this project (linters and AI coding CLIs detected).",
        discussion: """
            Enables the linters the project configures (ruff: pyproject.toml [tool.ruff], ruff.toml, \
            .ruff.toml; mypy: pyproject.toml [tool.mypy], setup.cfg [mypy], mypy.ini; shellcheck: shell \
            scripts) and lists the AI coding CLIs found on PATH with the credential variables set for them \
            (names only, never values). An existing file is never replaced without --force.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Replace an existing stomper.toml.")
    var force = false

    @Flag(help: "Append a [tool.stomper] table to pyproject.toml instead of writing stomper.toml.")
    var pyproject = false

    func run() async throws {
        do {
            let root = try Workspace.root(of: global.startDirectory)
            let environment = ProcessInfo.processInfo.environment
            let survey = ProjectSurvey.survey(root: root, environment: environment)
            for found in survey.linters { Terminal.out("found    \(found.linter) (\(found.reason))") }
            if survey.linters.isEmpty { Terminal.out("found    no linter configuration: enabling ruff with its defaults") }
            for agent in survey.agents {
                let credentials = agent.credentials.isEmpty ? "no credential variable set" : agent.credentials.joined(separator: ", ") + " set"
                Terminal.out("found    \(agent.preset.rawValue) at \(agent.path.displaySafe) (\(credentials))")
            }
            let written = pyproject ? try appendToPyproject(root: root, survey: survey) : try writeStomperToml(root: root, survey: survey)
            Terminal.out("wrote    \(written); check it with `stomper config dump` and `stomper doctor`")
        } catch {
            throw Failure.exit(error)
        }
    }

    private func writeStomperToml(root: String, survey: ProjectSurvey) throws -> String {
        let path = root + "/stomper.toml"
        if FileManager.default.fileExists(atPath: path) && !force {
            throw CLIError.configurationExists(path: path, hint: "already exists: edit it, or pass --force to replace it with a new one")
        }
        do {
            try Data(survey.configuration(prefix: "").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError.unwritable(action: "write", path: path, reason: error.localizedDescription, hint: "")
        }
        return path
    }

    /// Appends the table to the end of `pyproject.toml`, leaving every byte before it as it was.
    private func appendToPyproject(root: String, survey: ProjectSurvey) throws -> String {
        let path = root + "/pyproject.toml"
        guard let original = FileManager.default.contents(atPath: path) else {
            throw CLIError.missingPyproject(path: path)
        }
        if try ResolvedConfiguration.pyprojectHasTable(path) {
            throw CLIError.configurationExists(path: path, hint: "already has a [tool.stomper] table: edit it there (nothing was changed)")
        }
        if FileManager.default.fileExists(atPath: root + "/stomper.toml") {
            throw CLIError.configurationExists(
                path: root + "/stomper.toml",
                hint: "exists and would take precedence over [tool.stomper]: "
                    + "remove it first, or run `stomper init --force` to rewrite it instead")
        }
        var text = original.last == UInt8(ascii: "\n") || original.isEmpty ? "\n" : "\n\n"
        text += survey.configuration(prefix: "tool.stomper.")
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw CLIError.unwritable(action: "append to", path: path, reason: error.localizedDescription, hint: "")
        }
        return path + " [tool.stomper]"
    }
}
