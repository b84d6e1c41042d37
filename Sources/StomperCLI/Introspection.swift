import ArgumentParser
import Foundation
import StomperCoordination
import StomperCore
import StomperLedger

/// `stomper locks`: the leases held on this repository right now.
struct Locks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show active leases: resource, holder process and run, fencing token, age, expiry.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let leases: [Lease]
        do {
            leases = try await global.openWorkspace().history().leases()
        } catch {
            throw Failure.exit(error, json: json)
        }
        let now = SystemLeaseClock().now()
        let rows: [[String: Any]] = leases.map { lease in
            [
                "resource": lease.resource.description, "class": lease.resource.resourceClass.rawValue, "key": lease.resource.key,
                "holder": [
                    "pid": Int(lease.holder.pid), "host": lease.holder.host, "id": lease.holder.id,
                    "alive": RunGate.isLive(pid: lease.holder.pid, host: lease.holder.host),
                ],
                "run": lease.holder.runID.map { $0 as Any } ?? NSNull(), "token": Int(lease.token.value),
                "age_ms": Int(now - lease.acquiredAt), "expires_in_ms": Int(lease.expiresAt - now),
                "expired": lease.isExpired(at: now),
            ]
        }
        if json {
            Terminal.json(["leases": rows])
            return
        }
        guard !leases.isEmpty else {
            Terminal.out("stomper: no leases held")
            return
        }
        var table = [["RESOURCE", "HOLDER", "RUN", "TOKEN", "AGE", "EXPIRES"]]
        for lease in leases {
            let alive = RunGate.isLive(pid: lease.holder.pid, host: lease.holder.host)
            let remaining = lease.expiresAt - now
            table.append([
                lease.resource.description,
                "pid \(lease.holder.pid)@\(lease.holder.host)" + (alive ? "" : " (dead)"),
                lease.holder.runID ?? "-",
                "\(lease.token)",
                TextTable.milliseconds(now - lease.acquiredAt),
                remaining > 0 ? "in " + TextTable.milliseconds(remaining) : "expired " + TextTable.milliseconds(-remaining) + " ago",
            ])
        }
        Terminal.out(TextTable.render(table))
    }
}

/// `stomper stats`: contention per resource class, from the ledger's coordination events.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show contention per resource class: acquisitions, waits, expiries, refusals.",
        discussion: """
            Lease classes are counted from their ledger events; CRIT_DB from the write statistics each \
            run records when it ends. Wait percentiles are bucket upper bounds (0, 1, 2, 5, 10, 20, 50 ms…).
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this run's acquisitions: `latest`, an id, or any unique prefix of one.") var run: String?
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Show what stomper learnt: success per code and agent, mastered and difficult codes, cost per agent.")
    var learning = false

    func run() async throws {
        if learning { return try await showLearning() }
        let stats: CoordinationStats
        let runID: String?
        do {
            let history = try global.openWorkspace().history()
            if let run { runID = try await history.run(run).id } else { runID = nil }
            stats = try await history.coordinationStats(runID: runID)
        } catch {
            throw Failure.exit(error, json: json)
        }
        if json {
            var classes: [String: Any] = [:]
            for resourceClass in ResourceClass.allCases {
                let entry = stats.classes[resourceClass] ?? ClassStats()
                classes[resourceClass.rawValue] = [
                    "acquisitions": entry.acquisitions, "contended": entry.contended,
                    "wait_ms": [
                        "p50": Int(entry.waits.percentile(0.5)), "p95": Int(entry.waits.percentile(0.95)),
                        "max": Int(entry.waits.max),
                    ],
                    "expiries": entry.expiries, "stale_refusals": entry.staleRefusals, "busy_errors": entry.busyErrors,
                    "lost": entry.lost, "would_wait": entry.wouldWait, "would_refuse": entry.wouldRefuse,
                    "renewals": entry.renewals, "writes": entry.writes,
                ]
            }
            Terminal.json(["classes": classes, "run": runID.map { $0 as Any } ?? NSNull()])
            return
        }
        var table = [["CLASS", "ACQUIRED", "CONTENDED", "WAIT P50", "P95", "MAX", "EXPIRED", "STALE", "BUSY", "OBSERVED"]]
        for resourceClass in ResourceClass.allCases {
            let entry = stats.classes[resourceClass] ?? ClassStats()
            table.append([
                resourceClass.rawValue, "\(entry.acquisitions)", "\(entry.contended)",
                TextTable.milliseconds(entry.waits.percentile(0.5)), TextTable.milliseconds(entry.waits.percentile(0.95)),
                TextTable.milliseconds(entry.waits.max), "\(entry.expiries)", "\(entry.staleRefusals)", "\(entry.busyErrors)",
                entry.wouldWait + entry.wouldRefuse == 0 ? "-" : "\(entry.wouldWait) waits, \(entry.wouldRefuse) refusals",
            ])
        }
        Terminal.out(TextTable.render(table))
    }
}

extension Stats {
    func showLearning() async throws {
        let report: LearningReport
        do {
            report = try await global.openWorkspace().history().learning()
        } catch {
            throw Failure.exit(error, json: json)
        }
        if json {
            struct Output: Encodable {
                struct Code: Encodable {
                    var linter, code, agent: String
                    var attempts, successes, targeted, fixed: Int
                    var successRate, meanMs: Double
                }
                var codes: [Code]
                var agents: [AgentFigure]
                var mastered: [String]
                var difficult: [String]
            }
            let output = Output(
                codes: report.figures.map {
                    .init(
                        linter: $0.linter, code: $0.code, agent: $0.agent, attempts: $0.attempts, successes: $0.successes,
                        targeted: $0.targeted, fixed: $0.fixed, successRate: $0.successRate, meanMs: $0.meanMilliseconds)
                }, agents: report.agents, mastered: report.mastered, difficult: report.difficult)
            Terminal.json(output)
            return
        }
        guard !report.figures.isEmpty else {
            Terminal.out("stomper: nothing learnt yet: run `stomper fix` (learning is recorded for every verified attempt)")
            return
        }
        var table = [["LINTER", "CODE", "AGENT", "ATTEMPTS", "SUCCESS", "RATE", "FIXED/TARGETED", "MEAN"]]
        for figure in report.figures {
            table.append([
                figure.linter, figure.code, figure.agent, "\(figure.attempts)", "\(figure.successes)",
                String(format: "%.0f%%", figure.successRate * 100), "\(figure.fixed)/\(figure.targeted)",
                TextTable.milliseconds(Int64(figure.meanMilliseconds.rounded())),
            ])
        }
        Terminal.out(TextTable.render(table))
        var agents = [["AGENT", "ATTEMPTS", "ACCEPTED", "MEAN", "TOKENS IN", "TOKENS OUT", "COST"]]
        for agent in report.agents {
            agents.append([
                agent.agent, "\(agent.attempts)", "\(agent.accepted)", TextTable.milliseconds(Int64(agent.meanMilliseconds.rounded())),
                agent.inputTokens.map(String.init) ?? "-", agent.outputTokens.map(String.init) ?? "-",
                agent.costUSD.map { String(format: "$%.4f", $0) } ?? "-",
            ])
        }
        Terminal.out("\n" + TextTable.render(agents))
        Terminal.out(
            "\nmastered (≥ \(Int(LearningReport.masteredRate * 100))% over ≥ \(LearningReport.minimumAttempts) attempts): "
                + (report.mastered.isEmpty ? "none yet" : report.mastered.joined(separator: ", ")))
        Terminal.out(
            "difficult (< \(Int(LearningReport.difficultRate * 100))% for every agent): "
                + (report.difficult.isEmpty ? "none" : report.difficult.joined(separator: ", ")))
    }
}

/// Left-aligned columns for terminal tables.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func milliseconds(_ value: Int64) -> String {
        value < 1000 ? "\(value) ms" : String(format: "%.1f s", Double(value) / 1000)
    }
}
