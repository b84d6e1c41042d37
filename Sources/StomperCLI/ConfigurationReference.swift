import Foundation
import StomperCore

/// docs/CONFIGURATION.md, rendered from the settings table (`Settings.all`): key, type, default,
/// environment variable, whether it affects results, what `resume` uses, and the help text.
/// `stomper config docs` prints it; a test fails when the committed file differs.
enum ConfigurationReference {
    static func markdown() -> String {
        let defaults = StomperConfiguration()
        var output = header
        output += "| key | type | default | environment variable | affects results | on resume | meaning |\n"
        output += "|---|---|---|---|---|---|---|\n"
        for setting in Settings.all {
            let cells = [
                "`\(setting.key)`", type(of: setting.kind), "`\(setting.read(defaults).toml)`", "`\(setting.environmentName)`",
                setting.affectsResults ? "yes" : "no", setting.onResume.rawValue, setting.help,
            ]
            output += "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        return output + footer
    }

    private static func type(of kind: Setting.Kind) -> String {
        switch kind {
        case .int(let range): return "integer \(range.lowerBound)–\(range.upperBound)"
        case .bool: return "boolean"
        case .string: return "string"
        case .choice(let choices): return choices.map { "`\"\($0)\"`" }.joined(separator: " or ")
        case .strings: return "array of strings"
        }
    }

    private static let header = """
        # Configuration reference

        <!-- Generated from the settings table (Sources/StomperCore/Settings.swift); do not edit.
             Regenerate with: swift run stomper config docs > docs/CONFIGURATION.md -->

        `stomper.toml` at the repository root, or a `[tool.stomper]` table in its `pyproject.toml` (the same
        keys, sections under it: `[tool.stomper.fix]`, `[tool.stomper.linters]`, `[[tool.stomper.quality.sarif]]`).
        When both exist `stomper.toml` wins and stomper warns that the table is ignored; `--config FILE` reads
        that file (a file named `pyproject.toml` for its `[tool.stomper]` table). `stomper config dump` names
        the file and, per value, whether it came from `stomper.toml`, `pyproject.toml [tool.stomper]`, the
        environment, a flag or the default. [`Config/stomper.toml`](../Config/stomper.toml) is an annotated
        example. Precedence: defaults < `stomper.toml` (or `[tool.stomper]`) < `STOMPER_*` environment
        variables < flags. A key's variable is `STOMPER_` plus the key in capitals with dots as underscores;
        array values are JSON (`STOMPER_AGENT_COMMAND='["my-fixer", "{file}"]'`). Unknown keys and wrongly
        typed values are errors (exit 2); unknown `STOMPER_*` variables are warned about. Under CI the
        default of `fix.mode` is `"batch"`.

        **Affects results**: the setting can change what a fix produces, so it is part of the configuration
        hash in every fix's idempotency key; changing it makes earlier verified fixes miss the cache
        (`stomper cache`). Settings marked no (parallelism, timeouts, waits, paths, reports) never do.

        **On resume**: `stomper resume` continues an interrupted run with the run's own value (run's) or
        with today's configuration (today's: how to reach agents and how much to spend, so a run stopped
        by a dead endpoint resumes against a working one). Every setting that affects results is the
        run's. `resume --parallel N` overrides `fix.parallel`.


        """

    private static let footer = """

        `maasl.resource.<CLASS>` exists for each resource class (CRIT_CODE, CRIT_DB, MERGE_META,
        IDEMP_DOCS); see docs/COORDINATION.md. `[[quality.sarif]]` and `[[quality.pattern]]` tables add
        linters (none by default; see the README's Linters section) and affect results. ruff runs from the
        repository root (and from each worktree's root when verifying), so your project's own ruff
        configuration (`pyproject.toml`, `ruff.toml`) decides which rules apply; pin `select` there, since
        ruff's default rule set differs between versions.

        """
}
