import Foundation
import StomperCore
import StomperReport

/// What `stomper fix --branch NAME` and the CI loop guard print, kept out of `Fix` so its options stay a list.
enum BranchMode {
    /// What a `fix` the loop guard stopped still leaves for the steps after it, so that none of
    /// them reads a missing file as a failure or an old one as this run's: with `--json` a report
    /// saying it was skipped; in GitHub Actions the outputs (`skipped=own-head`, nothing fixed) and
    /// a line in the job summary; the `--sarif` and `--codequality` files, empty. Returns the
    /// files that could not be written.
    static func reportGuarded(reason: String, json: Bool, branch: String, root: String, reports: ReportFiles) -> [String] {
        if json {
            Terminal.json(["skipped": "own_head", "reason": reason, "branch": branch] as [String: Any])
        }
        let ci = CIReporting.environment
        var problems: [String] = []
        if ci.isGitHubActions {
            if let path = ci["GITHUB_OUTPUT"] {
                let values = [
                    ("skipped", "own-head"), ("fixed", "0"), ("failed", "0"), ("needs_agent", "0"), ("commits", ""),
                    ("branch", branch), ("diagnostics_fixed", "0"), ("diagnostics_left", "0"), ("run_id", ""),
                ]
                problems += CIReporting.append(GitHubOutputs.text(values), to: path, what: "the step outputs ($GITHUB_OUTPUT)")
            }
            if let path = ci["GITHUB_STEP_SUMMARY"] {
                problems += CIReporting.append(
                    "### stomper\n\n\(reason.replacingOccurrences(of: "stomper: ", with: ""))\n\n",
                    to: path, what: "the job summary ($GITHUB_STEP_SUMMARY)")
            }
        }
        return problems + reports.write([], toolVersions: [:], root: root)
    }

    /// The first line of a run's text output: where the fixes go.
    static func headline(_ plan: FixPlan) -> String {
        let count = plural(plan.jobs.count, "file")
        switch plan.landing {
        case .branchOnly: return "\(count) to fix onto \(plan.branch) (HEAD untouched)"
        case .checkout: return "\(count) to fix on \(plan.branch)"
        case .none: return "\(count) to fix at \(plan.branch)"
        }
    }
}
