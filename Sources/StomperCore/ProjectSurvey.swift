import Foundation
public import StomperAgents
import StomperProcess
internal import TOMLKit

/// What `stomper init` finds in a project: the linters its files configure, the AI coding CLIs on
/// `PATH` and whether their credentials are in the environment (presence only, never a value).
public struct ProjectSurvey: Sendable {
    /// A linter to enable and why (`ruff: pyproject.toml [tool.ruff]`).
    public struct Found: Equatable, Sendable {
        public var linter: String
        public var reason: String
    }

    /// An AI coding CLI on `PATH`, and the credential variables set for it (names only).
    public struct AgentFound: Equatable, Sendable {
        public var preset: AgentPreset
        public var path: String
        public var credentials: [String]
    }

    public var linters: [Found] = []
    public var agents: [AgentFound] = []

    /// Surveys the project at `root` with `environment` (`PATH`, credential variables).
    public static func survey(root: String, environment: [String: String]) -> ProjectSurvey {
        var survey = ProjectSurvey()
        let pyproject = table(root + "/pyproject.toml")
        let tool = pyproject?["tool"]?.table
        if tool?["ruff"]?.table != nil {
            survey.linters.append(Found(linter: "ruff", reason: "pyproject.toml [tool.ruff]"))
        } else if let file = ["ruff.toml", ".ruff.toml"].first(where: { exists(root + "/" + $0) }) {
            survey.linters.append(Found(linter: "ruff", reason: file))
        }
        if tool?["mypy"]?.table != nil {
            survey.linters.append(Found(linter: "mypy", reason: "pyproject.toml [tool.mypy]"))
        } else if exists(root + "/mypy.ini") {
            survey.linters.append(Found(linter: "mypy", reason: "mypy.ini"))
        } else if let setup = try? String(contentsOfFile: root + "/setup.cfg", encoding: .utf8),
            setup.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "[mypy]" })
        {
            survey.linters.append(Found(linter: "mypy", reason: "setup.cfg [mypy]"))
        }
        let scripts = shellScripts(root)
        if scripts > 0 {
            survey.linters.append(Found(linter: "shellcheck", reason: "\(scripts) shell script\(scripts == 1 ? "" : "s")"))
        }
        let searchPath = environment["PATH"] ?? ""
        for preset in AgentPreset.allCases {
            guard let path = VersionManagerShim.locate(preset.executable, environment: ["PATH": searchPath]) else { continue }
            let names = Set(preset.requiredEnvironment.flatMap { $0 })
            let set = names.filter { !(environment[$0] ?? "").isEmpty }.sorted()
            survey.agents.append(AgentFound(preset: preset, path: path, credentials: set))
        }
        return survey
    }

    private static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    private static func table(_ path: String) -> TOMLTable? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return try? TOMLTable(string: text)
    }

    /// Shell scripts (`*.sh`, `*.bash`) under `root`, hidden folders and common dependency
    /// folders skipped; at most 20,000 entries are looked at.
    private static func shellScripts(_ root: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        let skipped: Set<String> = ["node_modules", "venv", "__pycache__", "build", "dist"]
        var count = 0
        var seen = 0
        while let entry = walker.nextObject() as? String, seen < 20_000 {
            seen += 1
            let name = (entry as NSString).lastPathComponent
            if name.hasPrefix(".") || skipped.contains(name) {
                if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { walker.skipDescendants() }
                continue
            }
            if name.hasSuffix(".sh") || name.hasSuffix(".bash") { count += 1 }
        }
        return count
    }

    /// The configuration text: `[fix]`, `[agent]`, `[linters]` with comments, each section name
    /// under `prefix` (`tool.stomper.` in `pyproject.toml`).
    public func configuration(prefix: String) -> String {
        let linters = self.linters.isEmpty ? ["ruff"] : self.linters.map(\.linter)
        var text = """
            # stomper configuration, written by `stomper init`. Every setting with its default: Config/stomper.toml
            # in stomper's sources; the merged result, with where each value comes from: `stomper config dump`.

            [\(prefix)fix]
            # Files worked on at once (1-64).
            parallel = 4
            # Which fixer edits files: "autofix" (the linters' own fixes), "command", "chat", or an AI coding CLI
            # ("claude", "codex", "aider", "cursor-agent", "gemini", "opencode").
            agent = "autofix"

            [\(prefix)agent]

            """
        if agents.isEmpty {
            text += "# No AI coding CLI was found on PATH; autofix fixes what the linters can fix themselves.\n"
        } else {
            for agent in agents {
                let credentials =
                    agent.credentials.isEmpty
                    ? "no credential variable set (" + agent.preset.requiredEnvironment.map { $0.joined(separator: " + ") }.joined(separator: " or ")
                        + "; a stored login may do)"
                    : agent.credentials.joined(separator: ", ") + " set"
                text += "# Found on PATH: \(agent.preset.rawValue) (\(credentials)).\n"
            }
            let first = agents.first { !$0.credentials.isEmpty } ?? agents[0]
            text += "# To have it fix what autofix leaves, uncomment:\n"
            text += "# chain = [\"autofix\", \"\(first.preset.rawValue)\"]\n"
        }
        text += "\n[\(prefix)linters]\n"
        if self.linters.isEmpty {
            text += "# No linter configuration was found; ruff runs with its defaults.\n"
        } else {
            text += "# Found: " + self.linters.map { "\($0.linter) (\($0.reason))" }.joined(separator: ", ") + ".\n"
        }
        text += "enabled = [" + linters.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
        return text
    }
}
