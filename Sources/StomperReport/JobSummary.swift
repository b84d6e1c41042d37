import StomperAgents
import StomperGit
public import StomperCore
import StomperQuality

/// The Markdown job summary of a run, for `$GITHUB_STEP_SUMMARY` (appended: other steps write there
/// too). Totals, a table of the files with status, codes fixed, commit links and what is left, what
/// needs an AI agent, agent usage and time, and the full list of diagnostics left — annotations
/// are capped, this list is not, but it sits in a `<details>` block and stops at `diagnosticLimit`
/// rows. GitHub refuses a step summary over 1 MiB, so the tables also stop where the text would
/// pass `byteLimit`, saying how many rows were left out.
///
/// File names, messages and codes come from the repository: in the summary every ASCII
/// punctuation character of theirs is an HTML entity (`cell`), so none of them can end a cell,
/// start a link, an image or HTML, or end a code span.
public struct JobSummary: Sendable {
    public var ci: CIEnvironment
    public var diagnosticLimit: Int
    public var byteLimit: Int

    public init(ci: CIEnvironment, diagnosticLimit: Int = 2000, byteLimit: Int = 900 * 1024) {
        self.ci = ci
        self.diagnosticLimit = diagnosticLimit
        self.byteLimit = byteLimit
    }

    public func markdown(_ facts: RunFacts) -> String {
        let summary = facts.summary
        let left = facts.left
        var out: [String] = []
        let title = facts.dryRun ? "stomper fix (dry run)" : "stomper fix"
        out.append("## \(title) on \(Self.code(facts.plan.branch))")
        out.append("")
        var totals: [(String, String)] = []
        if facts.dryRun {
            totals.append(("Would be fixed", String(summary.count(.wouldFix))))
        } else {
            totals.append(("Fixed", String(summary.count(.fixed))))
            totals.append(("Partially fixed", String(summary.count(.partiallyFixed))))
        }
        totals += [
            ("Failed", String(summary.count(.failed))),
            ("Need an AI agent", String(summary.filesNeedingAgent)),
            ("Skipped", String(summary.skippedNotDeferred)),
            ("Diagnostics fixed", String(summary.diagnosticsFixed)),
            ("Diagnostics left", String(left.count)),
            ("Agent", "\(Self.code(facts.agent)), \(summary.agentCalls) call\(summary.agentCalls == 1 ? "" : "s")"),
        ]
        if !summary.deferred.isEmpty { totals.insert(("Not started", String(summary.deferred.count)), at: totals.count - 3) }
        if let usage = Self.usage(summary) { totals.append(("Agent usage", usage)) }
        totals.append(("Time", Self.seconds(facts.elapsedSeconds) + " (agents \(Self.seconds(summary.agentSeconds)))"))
        totals.append(("Run", "`\(facts.plan.runID)`" + (facts.interrupted ? " (interrupted: finish it with `stomper resume`)" : "")))
        out.append("| | |")
        out.append("|---|---|")
        out += totals.map { "| \($0.0) | \($0.1) |" }
        out.append("")

        let outcomes = summary.outcomes.values.sorted { $0.path < $1.path }
        if !outcomes.isEmpty {
            out.append("### Files")
            out.append("")
            out.append("| File | Status | Fixed | Commit | Left |")
            out.append("|---|---|---|---|---|")
            let leftByPath = Dictionary(grouping: left, by: \.diagnostic.path)
            var rows: [String] = []
            for outcome in outcomes {
                let fixed = Self.codes(outcome.fixed)
                let commit =
                    outcome.commit.map { sha -> String in
                        let short = String(sha.hex.prefix(7))
                        return ci.commitURL(sha.hex).map { "[`\(short)`](\($0))" } ?? "`\(short)`"
                    } ?? ""
                var status = Self.statusText(outcome)
                if let reason = outcome.reason, outcome.status == .failed || outcome.status == .skipped {
                    status += ": " + Self.cell(String(reason.prefix(160)))
                }
                let remaining = Dictionary(grouping: leftByPath[outcome.path] ?? [], by: \.diagnostic.code).mapValues(\.count)
                rows.append(
                    "| \(Self.code(outcome.path)) | \(status) | \(fixed.isEmpty ? "" : fixed) | \(commit) | "
                        + "\(remaining.isEmpty ? (outcome.diagnosticsBefore > 0 && outcome.status == .skipped ? "\(outcome.diagnosticsBefore)" : "") : Self.codes(remaining)) |"
                )
            }
            appendRows(rows, to: &out, what: "file")
            out.append("")
        }

        let needing = left.filter { $0.reason == .needsAgent }
        if !needing.isEmpty {
            let files = Dictionary(grouping: needing, by: \.diagnostic.path)
            out.append("### Needs an AI agent")
            out.append("")
            out.append(
                "\(needing.count) diagnostic\(needing.count == 1 ? "" : "s") in \(files.count) file\(files.count == 1 ? "" : "s") "
                    + "that no fixer of this run can fix. Run with an AI agent, e.g. `stomper fix --chain autofix,claude` "
                    + "or `--agent chat`.")
            out.append("")
            for path in files.keys.sorted() {
                let counts = Dictionary(grouping: files[path]!, by: \.diagnostic.code).mapValues(\.count)
                out.append("- \(Self.code(path)): \(Self.codes(counts))")
            }
            out.append("")
        }

        if !left.isEmpty {
            out.append("### Diagnostics left")
            out.append("")
            out.append("<details><summary>\(left.count) diagnostic\(left.count == 1 ? "" : "s") left</summary>")
            out.append("")
            out.append("| Location | Tool | Code | Message | Why |")
            out.append("|---|---|---|---|---|")
            let ordered = left.sorted(by: LeftDiagnostic.byImportance)
            let rows = ordered.prefix(diagnosticLimit).map { item -> String in
                let diagnostic = item.diagnostic
                return "| \(Self.code("\(diagnostic.path):\(diagnostic.line):\(diagnostic.column)")) | \(Self.cell(diagnostic.tool)) "
                    + "| \(Self.cell(diagnostic.code)) | \(Self.cell(diagnostic.message)) | \(item.reasonText) |"
            }
            appendRows(rows, to: &out, what: "diagnostic", alsoLeftOut: ordered.count - rows.count)
            out.append("")
            out.append("</details>")
            out.append("")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Appends table rows while the summary stays within `byteLimit` (keeping room for what
    /// follows), then a line saying how many were left out.
    func appendRows(_ rows: [String], to out: inout [String], what: String, alsoLeftOut: Int = 0) {
        let reserve = 16 * 1024
        var bytes = out.reduce(0) { $0 + $1.utf8.count + 1 }
        var shown = 0
        for row in rows {
            bytes += row.utf8.count + 1
            guard bytes <= byteLimit - reserve else { break }
            out.append(row)
            shown += 1
        }
        let omitted = rows.count - shown + alsoLeftOut
        if omitted > 0 {
            out.append("")
            out.append(
                "… and \(omitted) more \(what)\(omitted == 1 ? "" : "s") (the summary is kept under GitHub's size limit): "
                    + "`stomper check` lists them all.")
        }
    }

    static func statusText(_ outcome: FileOutcome) -> String {
        switch outcome.status {
        case .fixed: return "✅ fixed"
        case .partiallyFixed: return "🟡 partially fixed"
        case .wouldFix: return "🔍 would fix"
        case .failed: return outcome.refusal.map { "❌ refused (\($0.label))" } ?? "❌ failed"
        case .needsAgent: return "🤖 needs an agent"
        case .skipped: return outcome.deferred ? "⏸ left for resume" : "⏭ skipped"
        }
    }

    /// `F401×2, I001`, codes sorted.
    static func codes(_ counts: [String: Int]) -> String {
        counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { $0.value == 1 ? Self.cell($0.key) : "\(Self.cell($0.key))×\($0.value)" }.joined(separator: ", ")
    }

    static func usage(_ summary: RunSummary) -> String? {
        let total = summary.outcomes.values.compactMap(\.usage).reduce(nil as AgentUsage?) { total, usage in total.map { $0 + usage } ?? usage }
        guard let total else { return nil }
        var parts: [String] = []
        if let input = total.inputTokens { parts.append("\(input) input tokens") }
        if let output = total.outputTokens { parts.append("\(output) output tokens") }
        if let cost = total.costUSD { parts.append("$" + Self.decimal(cost, places: 4)) }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    static func seconds(_ value: Double) -> String { Self.decimal(value, places: 1) + " s" }

    /// A fixed-point decimal without Foundation's locale.
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(abs(scaled % Int(scale)))
        return "\(whole).\(String(repeating: "0", count: places - fraction.count) + fraction)"
    }

    /// Text from the repository, safe in a table cell and inert as Markdown and HTML: every ASCII
    /// punctuation character becomes a numeric entity (GitHub renders it as the character, but it
    /// cannot end the cell, open a link or image, start HTML or end a code span), and control and
    /// bidirectional characters are shown as escapes (`displaySafe`).
    static func cell(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.displaySafe.unicodeScalars {
            if scalar.isASCII, scalar != " ", !("a"..."z").contains(scalar), !("A"..."Z").contains(scalar), !("0"..."9").contains(scalar) {
                result += "&#\(scalar.value);"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `cell` set as code (`<code>`, which keeps the entities: a backtick span would not).
    static func code(_ text: String) -> String { "<code>\(cell(text))</code>" }
}
