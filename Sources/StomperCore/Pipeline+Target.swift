import Foundation
public import StomperGit
public import StomperQuality

/// What a plan is for, which decides the branch and base it is made against.
public enum PlanTarget: Sendable, Hashable {
    /// Landing on the branch checked out in the working tree (`stomper fix`): HEAD must be on a branch.
    case checkout
    /// Landing only on the ref of the named branch (`stomper fix --branch NAME`): HEAD may be
    /// detached and the working tree dirty; neither is touched, and planning lints the base
    /// commit's content, not the working tree.
    case branch(String)
    /// Nothing lands (`check`, `fix --dry-run`): a detached HEAD is planned at its commit.
    case readOnly
}

/// A resolved `PlanTarget`: the branch, the commit every worktree starts from, where fixes land.
struct ResolvedTarget: Sendable {
    var branch: String
    var base: ObjectID
    var landing: FixPlan.Landing
}

extension Pipeline {
    /// Checks the repository against `target` and returns the branch and base to plan against.
    ///
    /// For `.branch(NAME)`: the name must be a valid branch name; a branch checked out in any
    /// working tree is refused (landing there without touching that checkout would leave its
    /// files and index behind its HEAD); an existing branch must contain HEAD (its tip is then
    /// the base), a missing one is created at HEAD by the first landing.
    func resolve(_ target: PlanTarget, head: HeadState) throws -> ResolvedTarget {
        let repository = self.repository
        switch (target, head) {
        case (_, .unborn(let name)):
            throw CoreError(.repositoryState, "branch \(name) has no commits yet: commit the files to fix first")
        case (.checkout, .branch(let name, let commit)), (.readOnly, .branch(let name, let commit)):
            return ResolvedTarget(branch: name, base: commit, landing: .checkout)
        case (.checkout, .detached(let commit)):
            throw CoreError(
                .repositoryState,
                "HEAD is detached (at \(commit.hex.prefix(12))): pass --branch NAME (e.g. --branch stomper/fixes) "
                    + "to commit the fixes onto NAME without touching HEAD or the working tree, "
                    + "or check out the branch the fixes should be committed to")
        case (.readOnly, .detached(let commit)):
            return ResolvedTarget(branch: "HEAD (detached at \(commit.hex.prefix(12)))", base: commit, landing: .none)
        case (.branch(let name), .branch(_, let head)), (.branch(let name), .detached(let head)):
            guard GitRepository.isValidBranchName(name) else {
                throw CoreError(
                    .badConfiguration,
                    "--branch \(name.debugDescription) is not a valid branch name: "
                        + "use something like stomper/fixes")
            }
            if let worktree = repository.worktreeCheckingOut(branch: name) {
                throw CoreError(
                    .repositoryState,
                    "branch \(name) is checked out in \(worktree): landing on it without touching that "
                        + "checkout would leave its files behind its HEAD; run stomper fix without --branch in "
                        + "\(worktree) instead, or name another branch")
            }
            guard let tip = try repository.branchTip(name) else {
                return ResolvedTarget(branch: name, base: head, landing: .branchOnly)
            }
            guard try repository.contains(head, from: tip) else {
                throw CoreError(
                    .repositoryState,
                    "branch \(name) (at \(tip.hex.prefix(12))) does not contain HEAD (\(head.hex.prefix(12))): "
                        + "fixes must build on what is checked out. Delete it (`git branch -D \(name)`), "
                        + "move it (`git branch -f \(name) HEAD`), or name another branch")
            }
            return ResolvedTarget(branch: name, base: tip, landing: .branchOnly)
        }
    }

    /// Lints `paths` as they are in `commit`, in a detached worktree checked out there (the
    /// working tree may hold anything: uncommitted edits are not what the fixes start from).
    public func lintCommit(_ commit: ObjectID, paths: [String]) async throws -> [String: [Diagnostic]] {
        let pool = WorktreePool(repository: repository, capacity: 1, watchChanges: false, keep: configuration.keepWorktrees)
        do {
            let linter = self.linter
            let linted = try await pool.withWorktree(at: commit) { worktree in
                try await linter.lintGrouped(paths: paths, root: worktree.path)
            }
            await pool.close()
            return linted
        } catch {
            await pool.close()
            throw error
        }
    }
}
