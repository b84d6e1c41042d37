import Foundation

extension HTMLRunReport {
    /// Left margin for file names, chart width and axis height, in SVG units.
    private static let labelWidth = 260.0
    private static let chartWidth = 1000.0
    private static let axisHeight = 20.0

    /// The timeline: one row per started file (in the order they started) with its phases as
    /// bars, then the number of files in flight over time. Past `labelledRows` rows it turns
    /// compact: rows of 1–4 units, no names, no per-bar tooltips and no waiting bars (the
    /// in-flight chart shows the queue), so 10,000 files stay a few MB.
    func timeline(_ input: RunReportInput, into html: inout String) {
        let rows = input.files.compactMap { file -> (file: RunReportInput.File, start: Double)? in
            guard let first = file.spans.first(where: { $0.phase != .waiting }) ?? file.spans.first else { return nil }
            return (file, first.start)
        }.sorted { $0.start != $1.start ? $0.start < $1.start : $0.file.path < $1.file.path }
        html += "<section id=\"timeline\"><h2>Timeline</h2>\n"
        guard !rows.isEmpty else {
            html += "<p class=\"note\">No file was started in this run: nothing to draw.</p></section>\n"
            return
        }
        let duration = max(input.durationSeconds, rows.flatMap(\.file.spans).map(\.end).max() ?? 0, 0.001)
        let labelled = rows.count <= labelledRows
        let rowHeight: Double = labelled ? 14 : rows.count <= 1500 ? 4 : rows.count <= 3000 ? 2 : 1
        // Compact, a narrow margin keeps the first tick's label on the page.
        let left = labelled ? Self.labelWidth : 16
        let scale = Self.chartWidth / duration
        let height = Self.axisHeight + Double(rows.count) * rowHeight + 4
        let width = left + Self.chartWidth + 12
        html += Self.legend
        html +=
            "<svg class=\"timeline\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" width=\"100%\" "
            + "preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"timeline of \(rows.count) files\">\n"
        axis(duration: duration, left: left, scale: scale, bottom: height, into: &html)
        let gap = rowHeight >= 4 ? 2.0 : 0
        for (index, row) in rows.enumerated() {
            let y = Self.axisHeight + Double(index) * rowHeight
            if labelled {
                html +=
                    "<text class=\"label\" x=\"\(Self.number(left - 6))\" y=\"\(Self.number(y + rowHeight - 3))\">"
                    + "\(Self.escape(Self.tail(row.file.path, 38)))<title>\(Self.escape(row.file.path))</title></text>"
            }
            for span in row.file.spans where labelled || span.phase != .waiting {
                let x = left + span.start * scale
                let barWidth = max(labelled ? 1 : 0.5, (span.end - span.start) * scale)
                html +=
                    "<rect class=\"\(Self.spanClass(span))\" x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" "
                    + "width=\"\(Self.number(barWidth))\" height=\"\(Self.number(rowHeight - gap))\""
                if labelled {
                    html +=
                        "><title>\(span.phase.rawValue) \(Self.duration(span.end - span.start))"
                        + (span.result == .neutral ? "" : ", \(span.result.rawValue)") + "</title></rect>"
                } else {
                    html += "/>"
                }
            }
            html +=
                "<rect class=\"st-\(Self.cssName(row.file.status))\" x=\"\(Self.number(left + Self.chartWidth + 4))\" "
                + "y=\"\(Self.number(y))\" width=\"6\" height=\"\(Self.number(rowHeight - gap))\"/>\n"
        }
        html += "</svg>\n"
        inFlight(rows.map(\.file), duration: duration, left: left, into: &html)
        html += "</section>\n"
    }

    private func axis(duration: Double, left: Double, scale: Double, bottom: Double, into html: inout String) {
        let step = Self.tickStep(duration / 8)
        var tick = 0.0
        while tick <= duration + step / 1000 {
            let x = left + tick * scale
            html +=
                "<line class=\"grid\" x1=\"\(Self.number(x))\" y1=\"14\" x2=\"\(Self.number(x))\" y2=\"\(Self.number(bottom))\"/>"
                + "<text class=\"tick\" x=\"\(Self.number(x))\" y=\"11\">\(Self.tickLabel(tick, step: step))</text>\n"
            tick += step
        }
    }

    /// How many files were between `job.started` and `job.finished` over time, as a step line.
    private func inFlight(_ files: [RunReportInput.File], duration: Double, left: Double, into html: inout String) {
        var changes: [(time: Double, delta: Int)] = []
        for file in files {
            let busy = file.spans.filter { $0.phase != .waiting }
            guard let start = busy.map(\.start).min(), let end = busy.map(\.end).max() else { continue }
            changes.append((start, 1))
            changes.append((end, -1))
        }
        changes.sort { $0.time != $1.time ? $0.time < $1.time : $0.delta < $1.delta }
        var level = 0
        var peak = 0
        var points: [(time: Double, level: Int)] = [(0, 0)]
        for change in changes {
            level += change.delta
            peak = max(peak, level)
            if let last = points.last, last.time == change.time {
                points[points.count - 1].level = level
            } else {
                points.append((change.time, level))
            }
        }
        guard peak > 0 else { return }
        let height = 80.0
        let scale = Self.chartWidth / duration
        let top = 20.0
        let y = { (level: Int) in Self.number(top + height - height * Double(level) / Double(peak)) }
        var path = "M\(Self.number(left)) \(y(0))"
        var previous = 0
        for point in points {
            path += "H\(Self.number(left + point.time * scale))"
            if point.level != previous { path += "V\(y(point.level))" }
            previous = point.level
        }
        path += "H\(Self.number(left + Self.chartWidth))"
        html +=
            "<h3>Files in flight</h3>\n<svg class=\"inflight\" viewBox=\"0 0 \(Self.number(left + Self.chartWidth + 12)) \(Self.number(top + height + 6))\" "
            + "width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"files in flight, at most \(peak)\">"
            + "<line class=\"grid\" x1=\"\(Self.number(left))\" y1=\"\(y(0))\" x2=\"\(Self.number(left + Self.chartWidth))\" y2=\"\(y(0))\"/>"
            + "<text class=\"tick start\" x=\"\(Self.number(left + 2))\" y=\"13\">\(peak) at most</text>"
            + "<path class=\"flight\" d=\"\(path)\"/></svg>\n"
    }

    static func spanClass(_ span: RunReportInput.Span) -> String {
        switch span.phase {
        case .waiting: return "ph-waiting"
        case .preparing: return "ph-preparing"
        case .verify: return "ph-verify"
        case .agent, .land: return "ph-\(span.phase.rawValue) r-\(span.result.rawValue)"
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `rough`.
    static func tickStep(_ rough: Double) -> Double {
        guard rough > 0 else { return 1 }
        let power = pow(10, floor(log10(rough)))
        for factor in [1.0, 2, 5, 10] where factor * power >= rough { return factor * power }
        return 10 * power
    }

    static func tickLabel(_ seconds: Double, step: Double) -> String {
        if step >= 60 { return "\(Int(seconds) / 60)m" + (Int(seconds) % 60 == 0 ? "" : "\(Int(seconds) % 60)s") }
        if step >= 1 { return "\(Int(seconds.rounded()))s" }
        return String(format: step >= 0.1 ? "%.1fs" : "%.2fs", seconds)
    }

    /// The end of a path, so the file name stays readable in a narrow label.
    static func tail(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : "…" + String(text.suffix(limit - 1))
    }

    static let legend = """
        <p class="legend"><span class="sw ph-waiting"></span>waiting for a slot <span class="sw ph-preparing"></span>preparing \
        <span class="sw ph-agent r-success"></span>agent: fixed <span class="sw ph-agent r-partial"></span>improved \
        <span class="sw ph-agent r-refused"></span>refused <span class="sw ph-agent r-failed"></span>agent failed \
        <span class="sw ph-agent r-neutral"></span>agent <span class="sw ph-verify"></span>verifying \
        <span class="sw ph-land r-success"></span>landed <span class="sw ph-land r-failed"></span>landing failed</p>

        """
}
