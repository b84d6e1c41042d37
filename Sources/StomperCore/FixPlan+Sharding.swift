extension FixPlan {
    /// This plan cut down to one shard of a CI matrix: the jobs, skipped and excluded files
    /// `spec` handles; the rest go into `otherShards`.
    ///
    /// Every shard job plans the same files and computes the same split, so the shards' plans
    /// are disjoint and together cover the whole plan with no file twice:
    /// - jobs are split by `ShardAssignment` over all the plan's jobs, each costing its
    ///   diagnostics (`job.diagnostics.count`), so the shards' work is balanced;
    /// - skipped files (including those needing an agent) and excluded files are split by the
    ///   same function with a cost of 1 each, separately from the jobs (they cost no work, so
    ///   they must not unbalance it), so each is reported by exactly one shard and the union of
    ///   the shards' reports lists it once.
    ///
    /// - Precondition: the plan is whole (`shardSpec == nil`): a split of a shard's files would
    ///   not be the one the other shards computed.
    public func shard(_ spec: ShardSpec) -> FixPlan {
        precondition(shardSpec == nil, "the plan is already shard \(shardSpec?.label ?? "")")
        let jobShards = ShardAssignment.assign(
            costs: Dictionary(jobs.map { ($0.path, $0.diagnostics.count) }, uniquingKeysWith: +), count: spec.count)
        let reportShards = ShardAssignment.assign(
            costs: Dictionary((skipped.map(\.path) + excluded.keys).map { ($0, 1) }, uniquingKeysWith: +), count: spec.count)
        var plan = self
        plan.jobs = jobs.filter { jobShards[$0.path] == spec.index }
        plan.skipped = skipped.filter { reportShards[$0.path] == spec.index }
        plan.excluded = excluded.filter { reportShards[$0.key] == spec.index }
        plan.shardSpec = spec
        plan.otherShards = jobShards.merging(reportShards) { job, _ in job }.filter { $0.value != spec.index }
        return plan
    }
}
