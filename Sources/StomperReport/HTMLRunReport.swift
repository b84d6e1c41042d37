import Foundation

/// The HTML page of one run: a summary, a timeline of every file's phases, a row per file and
/// collapsible details (diff, what is left, attempts, reasons), and the ledger's learning figures.
///
/// One self-contained file: inline CSS and SVG, no script, no external request (a
/// Content-Security-Policy forbids any, should something slip through). Every string from the
/// repository or an agent (paths, messages, reasons, diffs) goes through `escape`, so a file
/// named `<img src=x onerror=alert(1)>.py` is shown as text.
///
/// Scale: every file gets a row in the file table, but only the first `detailLimit` (the most
/// important first: failed, partially fixed, needing an agent, …) get details, and diffs stop at
/// `diffLimit` bytes each and `diffBudget` bytes in all; the timeline draws one thin row per file
/// without labels past `labelledRows`. 10,000 files render in well under a second, a few MB.
public struct HTMLRunReport: Sendable {
    public var detailLimit: Int
    public var diffLimit: Int
    public var diffBudget: Int
    public var labelledRows: Int

    public init(detailLimit: Int = 300, diffLimit: Int = 32 * 1024, diffBudget: Int = 6 * 1024 * 1024, labelledRows: Int = 300) {
        self.detailLimit = detailLimit
        self.diffLimit = diffLimit
        self.diffBudget = diffBudget
        self.labelledRows = labelledRows
    }

    /// The order files are listed in: what needs attention first.
    static let statusOrder = [
        "failed", "partially_fixed", "needs_agent", "running", "verified", "planned", "skipped", "would_fix",
        "fixed",
    ]

    public func render(_ input: RunReportInput) -> String {
        var html = ""
        html.reserveCapacity(4096 + input.files.count * 400)
        let title = "stomper run \(input.runID)"
        html += """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.escape(title))</title>
            <style>\(Self.css)</style></head><body>

            """
        html += "<header><h1>stomper run <code>\(Self.escape(input.runID))</code>\(input.dryRun ? " <span class=\"tag\">dry run</span>" : "")</h1>\n"
        html +=
            "<p class=\"meta\">\(Self.escape(input.status)) on <code>\(Self.escape(input.branch))</code> from <code>"
            + "\(Self.escape(String(input.baseCommit.prefix(12))))</code> · agent <code>\(Self.escape(input.agent))</code>"
            + (input.parallel.map { " · \($0) at a time" } ?? "")
            + " · started \(Self.escape(input.createdAt))" + (input.finishedAt.map { ", finished \(Self.escape($0))" } ?? "")
            + "</p></header>\n"
        for note in input.notes { html += "<p class=\"note\">\(Self.escape(note))</p>\n" }
        let ordered = Self.ordered(input.files)
        summary(input, into: &html)
        timeline(input, into: &html)
        files(ordered, into: &html)
        learning(input, into: &html)
        html += "<footer>written by stomper · <code>stomper show \(Self.escape(input.runID))</code> lists the same run in the terminal</footer>\n"
        html += "</body></html>\n"
        return html
    }

    /// The files in the order the page lists them (and gives details to the first `detailLimit`).
    public static func ordered(_ files: [RunReportInput.File]) -> [RunReportInput.File] {
        let rank = Dictionary(uniqueKeysWithValues: statusOrder.enumerated().map { ($1, $0) })
        return files.sorted { lhs, rhs in
            let left = rank[lhs.status] ?? statusOrder.count
            let right = rank[rhs.status] ?? statusOrder.count
            return left != right ? left < right : lhs.path < rhs.path
        }
    }

    // MARK: Summary

    private func summary(_ input: RunReportInput, into html: inout String) {
        let byStatus = Dictionary(grouping: input.files, by: \.status).mapValues(\.count)
        var fixedByCode: [String: Int] = [:]
        for file in input.files where Self.isFixedStatus(file.status) {
            for (code, count) in file.fixed { fixedByCode[code, default: 0] += count }
        }
        let attempts = input.files.flatMap(\.attempts)
        let needing = input.files.filter { $0.needsAgent > 0 }
        let inputTokens = attempts.compactMap(\.inputTokens)
        let outputTokens = attempts.compactMap(\.outputTokens)
        let costs = attempts.compactMap(\.costUSD)
        html += "<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">\n"
        func card(_ label: String, _ value: String, _ kind: String = "") {
            html += "<div class=\"card \(kind)\"><b>\(value)</b><span>\(label)</span></div>\n"
        }
        card("files", String(input.files.count))
        for status in Self.statusOrder.reversed() {
            guard let count = byStatus[status], count > 0 else { continue }
            card(Self.label(status), String(count), "st-\(status)")
        }
        for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) where !Self.statusOrder.contains(status) {
            card(Self.escape(status), String(count))
        }
        card("diagnostics fixed", String(fixedByCode.values.reduce(0, +)))
        card("agent attempts", String(attempts.count))
        if !inputTokens.isEmpty || !outputTokens.isEmpty {
            card("tokens in / out", "\(inputTokens.reduce(0, +)) / \(outputTokens.reduce(0, +))")
        }
        if !costs.isEmpty { card("cost", String(format: "$%.4f", costs.reduce(0, +))) }
        card("run time", Self.duration(input.durationSeconds))
        html += "</div>\n"
        statusBar(byStatus, total: input.files.count, into: &html)
        if !fixedByCode.isEmpty {
            html += "<h3>Diagnostics fixed, by code</h3>\n<table class=\"codes\"><tr><th>code</th><th>fixed</th></tr>\n"
            for (code, count) in fixedByCode.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                html += "<tr><td><code>\(Self.escape(code))</code></td><td class=\"n\">\(count)</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !needing.isEmpty {
            var codes: [String: Int] = [:]
            for file in needing { for left in file.remaining where left.needsAgent { codes[left.code, default: 0] += 1 } }
            let diagnostics = needing.reduce(0) { $0 + $1.needsAgent }
            html +=
                "<h3>Needs an AI agent</h3>\n<p>\(diagnostics) diagnostic\(diagnostics == 1 ? "" : "s") in \(needing.count) "
                + "file\(needing.count == 1 ? "" : "s") \(diagnostics == 1 ? "is" : "are") nothing this run's fixers can fix: "
                + codes.sorted { $0.key < $1.key }.map { "<code>\(Self.escape($0.key))</code>×\($0.value)" }.joined(separator: " ")
                + ". Run again with an AI agent (<code>--chain autofix,claude</code> or <code>--agent chat</code>).</p>\n"
        }
        html += "</section>\n"
    }

    private func statusBar(_ byStatus: [String: Int], total: Int, into html: inout String) {
        guard total > 0 else { return }
        html +=
            "<svg class=\"bar\" viewBox=\"0 0 1000 18\" width=\"100%\" height=\"18\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"files by status\">"
        var x = 0.0
        for status in Self.statusOrder.reversed() + byStatus.keys.sorted().filter({ !Self.statusOrder.contains($0) }) {
            guard let count = byStatus[status], count > 0 else { continue }
            let width = 1000 * Double(count) / Double(total)
            html +=
                "<rect class=\"st-\(Self.cssName(status))\" x=\"\(Self.number(x))\" y=\"0\" width=\"\(Self.number(width))\" height=\"18\">"
                + "<title>\(Self.escape(Self.label(status))): \(count)</title></rect>"
            x += width
        }
        html += "</svg>\n"
    }

    // MARK: Files

    private func files(_ ordered: [RunReportInput.File], into html: inout String) {
        html += "<section id=\"files\"><h2>Files</h2>\n"
        html +=
            "<table class=\"files\"><tr><th>status</th><th>file</th><th>before</th><th>fixed</th><th>left</th><th>attempts</th>"
            + "<th>reason</th></tr>\n"
        for (index, file) in ordered.enumerated() {
            let name = index < detailLimit ? "<a href=\"#f\(index)\">\(Self.escape(file.path))</a>" : Self.escape(file.path)
            html +=
                "<tr><td><span class=\"st st-\(Self.cssName(file.status))\">\(Self.escape(Self.label(file.status)))</span></td>"
                + "<td class=\"path\">\(name)</td><td class=\"n\">\(file.diagnosticsBefore)</td>"
                + "<td class=\"n\">\(file.fixed.values.reduce(0, +))</td><td class=\"n\">\(file.remaining.count)</td>"
                + "<td class=\"n\">\(file.attempts.count)</td><td>\(Self.escape(Self.clip(file.reason ?? "", 160)))</td></tr>\n"
        }
        html += "</table>\n"
        var budget = diffBudget
        for (index, file) in ordered.prefix(detailLimit).enumerated() {
            details(file, index: index, budget: &budget, into: &html)
        }
        if ordered.count > detailLimit {
            html +=
                "<p class=\"note\">Details are shown for the first \(detailLimit) files; \(ordered.count - detailLimit) more "
                + "are listed above only (<code>stomper show RUN --json</code> has every file).</p>\n"
        }
        html += "</section>\n"
    }

    private func details(_ file: RunReportInput.File, index: Int, budget: inout Int, into html: inout String) {
        let open = file.status == "failed" && index < 20 ? " open" : ""
        html +=
            "<details id=\"f\(index)\"\(open)><summary><span class=\"st st-\(Self.cssName(file.status))\">"
            + "\(Self.escape(Self.label(file.status)))</span> <code>\(Self.escape(file.path))</code>"
            + (file.reason.map { " — \(Self.escape(Self.clip($0, 300)))" } ?? "") + "</summary>\n<div class=\"body\">\n"
        var facts = ["\(file.diagnosticsBefore) diagnostic\(file.diagnosticsBefore == 1 ? "" : "s") before"]
        if !file.fixed.isEmpty {
            facts.append(
                "fixed "
                    + file.fixed.sorted { $0.key < $1.key }
                    .map { "<code>\(Self.escape($0.key))</code>×\($0.value)" }.joined(separator: " "))
        }
        if let commit = file.commit { facts.append("commit <code>\(Self.escape(String(commit.prefix(12))))</code>") }
        html += "<p>" + facts.joined(separator: " · ") + "</p>\n"
        if !file.attempts.isEmpty {
            html += "<table><tr><th>#</th><th>agent</th><th>outcome</th><th>time</th><th>tokens in/out</th><th>cost</th></tr>\n"
            for attempt in file.attempts {
                let tokens =
                    attempt.inputTokens == nil && attempt.outputTokens == nil
                    ? ""
                    : "\(attempt.inputTokens.map(String.init) ?? "?") / \(attempt.outputTokens.map(String.init) ?? "?")"
                html +=
                    "<tr><td class=\"n\">\(attempt.number)</td><td><code>\(Self.escape(attempt.agent))</code></td>"
                    + "<td><span class=\"oc oc-\(Self.cssName(attempt.outcome))\">\(Self.escape(attempt.outcome.replacingOccurrences(of: "_", with: " ")))</span></td>"
                    + "<td class=\"n\">\(Self.duration(Double(attempt.milliseconds) / 1000))</td><td class=\"n\">\(tokens)</td>"
                    + "<td class=\"n\">\(attempt.costUSD.map { String(format: "$%.4f", $0) } ?? "")</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !file.remaining.isEmpty {
            html += "<h4>Left (\(file.remaining.count))</h4>\n<ul class=\"left\">\n"
            for left in file.remaining.prefix(200) {
                html +=
                    "<li>line \(left.line) <code>\(Self.escape(left.code))</code> \(Self.escape(Self.clip(left.message, 300)))"
                    + (left.needsAgent ? " <span class=\"tag\">needs an agent</span>" : "") + "</li>\n"
            }
            if file.remaining.count > 200 { html += "<li>… and \(file.remaining.count - 200) more</li>\n" }
            html += "</ul>\n"
        }
        if let diff = file.diff, !diff.isEmpty {
            if budget <= 0 {
                html += "<p class=\"note\">Diff left out: the page's diff budget is spent.</p>\n"
            } else {
                let shown = Self.clip(diff, min(diffLimit, budget))
                budget -= shown.utf8.count
                html += "<h4>\(file.commit == nil ? "Verified diff" : "Landed diff")</h4>\n<pre class=\"diff\">"
                for line in shown.split(separator: "\n", omittingEmptySubsequences: false) {
                    let kind =
                        line.hasPrefix("+++") || line.hasPrefix("---")
                        ? "h"
                        : line.hasPrefix("+") ? "a" : line.hasPrefix("-") ? "d" : line.hasPrefix("@@") ? "h" : ""
                    html += kind.isEmpty ? Self.escape(String(line)) + "\n" : "<span class=\"\(kind)\">\(Self.escape(String(line)))</span>\n"
                }
                html += "</pre>\n"
                if shown.utf8.count < diff.utf8.count {
                    html += "<p class=\"note\">Diff cut at \(shown.utf8.count) of \(diff.utf8.count) bytes.</p>\n"
                }
            }
        }
        html += "</div></details>\n"
    }

    // MARK: Learning

    private func learning(_ input: RunReportInput, into html: inout String) {
        guard !input.learning.isEmpty else { return }
        html +=
            "<section id=\"learning\"><h2>What the ledger has learnt</h2>\n<p>Every run in this repository, for the codes "
            + "of this run: how often each agent's attempt fixed a code.</p>\n"
        html += "<table><tr><th>code</th><th>agent</th><th>attempts</th><th>success</th><th>mean time</th></tr>\n"
        for figure in input.learning.prefix(500) {
            let rate = figure.attempts == 0 ? 0 : Double(figure.successes) / Double(figure.attempts)
            html +=
                "<tr><td><code>\(Self.escape(figure.code))</code></td><td><code>\(Self.escape(figure.agent))</code></td>"
                + "<td class=\"n\">\(figure.attempts)</td><td class=\"n\">\(Int((rate * 100).rounded())) %"
                + "<svg class=\"rate\" viewBox=\"0 0 100 8\" width=\"60\" height=\"8\"><rect class=\"track\" width=\"100\" height=\"8\"/>"
                + "<rect class=\"st-fixed\" width=\"\(Self.number(rate * 100))\" height=\"8\"/></svg></td>"
                + "<td class=\"n\">\(Self.duration(figure.meanMilliseconds / 1000))</td></tr>\n"
        }
        html += "</table></section>\n"
    }

    // MARK: Text

    /// `text` with the five HTML-significant characters as entities: safe in element content
    /// and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A status or outcome as a CSS class suffix: only letters and underscores survive.
    static func cssName(_ text: String) -> String {
        String(text.unicodeScalars.filter { ("a"..."z").contains($0) || $0 == "_" }.map(Character.init))
    }

    static func label(_ status: String) -> String {
        switch status {
        case "partially_fixed": return "partially fixed"
        case "would_fix": return "would fix"
        case "needs_agent": return "needs an agent"
        default: return status
        }
    }

    static func isFixedStatus(_ status: String) -> Bool {
        status == "fixed" || status == "partially_fixed" || status == "would_fix"
    }

    /// At most `limit` bytes of `text`, cut at a character boundary.
    static func clip(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        let scalars = text.unicodeScalars
        var bytes = 0
        var end = scalars.startIndex
        while end < scalars.endIndex, bytes + scalars[end].utf8.count <= limit {
            bytes += scalars[end].utf8.count
            end = scalars.index(after: end)
        }
        return String(scalars[..<end]) + (limit >= 200 ? "\n…" : "…")
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 120 { return String(format: "%.1f s", seconds) }
        return String(format: "%dm %02ds", Int(seconds) / 60, Int(seconds) % 60)
    }

    /// A coordinate with at most one decimal, as short as it gets (`12`, `12.5`).
    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : String(format: "%.1f", Double(tenths) / 10)
    }
}
