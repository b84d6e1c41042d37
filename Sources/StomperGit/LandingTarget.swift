/// Where a `BranchWriter` lands its commits.
public enum LandingTarget: Sendable, Hashable {
    /// The branch checked out in the working tree stomper runs in: each landing writes the touched
    /// paths to that working tree and its index too, then moves the branch (compare-and-swap).
    case checkout(branch: String)
    /// Only the ref `refs/heads/<branch>`, built from commit objects: the working tree, the index
    /// and HEAD are never touched. A missing branch is created at `startPoint` by the first
    /// landing (nothing lands, nothing is created).
    case branchOnly(branch: String, startPoint: ObjectID)

    /// The branch the commits go onto.
    public var branch: String {
        switch self {
        case .checkout(let branch), .branchOnly(let branch, _): return branch
        }
    }

    /// Whether landings write the working tree and index.
    public var writesCheckout: Bool {
        if case .checkout = self { return true }
        return false
    }
}
