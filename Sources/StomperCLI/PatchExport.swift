import Foundation
import StomperCore
import StomperDocs
import StomperGit

/// `stomper fix --patches DIR`: the run's landed commits as `git am`-able files (see
/// `PatchSeries` and docs/CI.md, "Handing fixes to a trusted job").
enum PatchExport {
    /// The series for `--patches DIR`, checked before the run does any work: a dry run lands
    /// nothing to export, and DIR must not hold patches stomper did not write.
    static func prepare(_ directory: String?, dryRun: Bool, from start: String) throws -> PatchSeries? {
        guard let directory else { return nil }
        if dryRun {
            throw CLIError.conflictingFlags(
                flag: "--patches", other: "--dry-run",
                why: "--patches writes the commits a run lands, and a dry run lands none: drop --dry-run to export patches")
        }
        let absolute = ((directory.hasPrefix("/") ? directory : start + "/" + directory) as NSString).standardizingPath
        let series = PatchSeries(directory: absolute)
        try series.prepare()
        return series
    }

    /// Writes every commit the run landed (fixes, then the docs commit if there is one) and says
    /// where; the closing status stays the run's.
    static func write(
        _ series: PatchSeries, summary: RunSummary, docs: DocgenReport?, plan: FixPlan,
        repository: GitRepository, json: Bool
    ) async throws {
        let manifest = try await series.write(summary, docs: docs, plan: plan, repository: repository)
        let branch = plan.branch, base = plan.base
        if !manifest.contiguous {
            Terminal.warn(
                "other commits landed between this run's on \(branch): the patches in \(series.directory) "
                    + "may not apply on \(base.short) as they are (manifest.json: \"contiguous\": false)")
        }
        let count = manifest.patches.count
        let line = "stomper: wrote \(count) patch\(count == 1 ? "" : "es") and manifest.json to \(series.directory)"
        if json { Terminal.err(line) } else { Terminal.out(line) }
    }
}
