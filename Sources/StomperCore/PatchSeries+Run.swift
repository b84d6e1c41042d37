public import StomperDocs
public import StomperGit

extension PatchSeries {
    /// Writes every commit a run landed — its fixes (fixed or partially fixed files), then the
    /// docs commit if there is one — off the cooperative pool, and returns the manifest written.
    public func write(_ summary: RunSummary, docs: DocgenReport?, plan: FixPlan, repository: GitRepository) async throws -> Manifest {
        var commits = summary.outcomes.values
            .filter { $0.status == .fixed || $0.status == .partiallyFixed }
            .compactMap { outcome in outcome.commit.map { Commit(id: $0, key: outcome.key) } }
        if let docsCommit = docs?.commit { commits.append(Commit(id: docsCommit, key: nil)) }
        let runID = plan.runID, base = plan.base, branch = plan.branch, landed = commits
        return try await BlockingIO.run {
            try self.write(landed, runID: runID, base: base, branch: branch, repository: repository)
        }
    }
}
