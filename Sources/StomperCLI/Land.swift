import ArgumentParser
import Foundation
import StomperCore
import StomperLedger

struct Land: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Land the verified fixes of shard bundles (fix --shard I/N --bundle DIR) on this branch.",
        discussion: """
            Checks each bundle (its files' SHA-256, its base commit, which must be in this \
            repository), then for each fix in path order: skips it if its Stomper-Key is already on \
            the branch; applies it to the tip directly when the file is as the shard found it, or \
            merges it three ways when the file changed since and the change merges cleanly (a \
            conflict is reported and left for the next run); re-verifies it on the tip (re-lint, \
            the suppression gate, verify.test_command); commits it under the file's lease, one \
            commit per file with the shard's Stomper-Key. The shards' learning is merged into this \
            ledger. A land that is killed is taken over by the next one: nothing lands twice.

            Examples:
              stomper land out/shard-1 out/shard-2 out/shard-3
              stomper land bundles/* --branch stomper/fixes   (onto a ref only, HEAD untouched)
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Shard bundles: the folders `stomper fix --bundle DIR` wrote (or their manifest.json).")
    var bundles: [String] = []

    @Option(help: "Land onto this branch's ref only (created at HEAD if missing); HEAD, index and working tree untouched.")
    var branch: String?

    @Option(name: [.short, .long], help: "Files verified at once (fix.parallel, default 4).")
    var parallel: Int?

    @Flag(help: "Print one JSON report at the end instead of text.")
    var json = false

    @Flag(help: "Mark an unfinished earlier fix run as aborted instead of refusing to land.")
    var abandon = false

    func run() async throws {
        let prepared: PreparedLand
        do {
            if let parallel, !(1...64).contains(parallel) {
                throw CLIError.badFlag(flag: "--parallel", value: String(parallel), expected: "is out of range: use 1 to 64")
            }
            var flags: [String: SettingValue] = [:]
            if let parallel { flags["fix.parallel"] = .int(parallel) }
            let workspace = try global.openWorkspace(flags: flags)
            let paths = bundles.map(global.path)
            prepared = try await workspace.prepareLand(LandRequest(bundles: paths, branch: branch, abandon: abandon))
        } catch {
            throw Failure.exit(error, json: json)
        }
        for line in Self.headline(prepared) {
            if json { Terminal.err(line) } else { Terminal.out(line) }
        }
        try await RunDriver(json: json, dryRun: false, useCache: false, color: global.color).drive(prepared.run)
    }

    /// What the land found before it starts: bundles, fixes already on the branch, merges,
    /// fixes left, learning merged, earlier lands taken over.
    static func headline(_ land: PreparedLand) -> [String] {
        let fixes = land.bundles.reduce(0) { $0 + $1.manifest.fixes.count }
        let plan = land.run.plan
        var lines: [String] = []
        for run in land.takenOver { lines.append("stomper: took over the unfinished land \(run): its landed fixes are kept, the rest lands now") }
        var parts = ["\(Self.fixes(fixes)) in \(plural(land.bundles.count, "bundle"))"]
        if !land.alreadyLanded.isEmpty { parts.append("\(land.alreadyLanded.count) already on \(plan.branch)") }
        if !land.merged.isEmpty { parts.append("\(land.merged.count) merged three ways (file changed since the shard's base)") }
        if !land.notLanded.isEmpty { parts.append("\(land.notLanded.count) left (\(land.notLanded.first!.reason))") }
        if land.learning.attempts > 0 { parts.append("\(plural(land.learning.attempts, "learning attempt")) merged") }
        lines.append("stomper: " + parts.joined(separator: ", "))
        let target = plan.landing == .branchOnly ? "onto \(plan.branch) (HEAD untouched)" : "on \(plan.branch)"
        lines.append("stomper: \(Self.fixes(plan.jobs.count)) to re-verify and land \(target) (run \(plan.runID))")
        return lines
    }

    static func fixes(_ count: Int) -> String { "\(count) fix\(count == 1 ? "" : "es")" }
}
