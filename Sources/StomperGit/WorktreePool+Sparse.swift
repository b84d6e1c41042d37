import Foundation

/// A sparse slot: a plain folder of the pool (see `withWorktree(at:sparse:_:)`).
struct SparseSlot: Sendable {
    var name: String
    var path: String
}

extension WorktreePool {
    /// Runs `body` with a sparse worktree when `select` names its files, else with a full one.
    ///
    /// `select` gets the base's tree (read once per base) and returns the files the worktree must
    /// hold — the job's file and whatever its fixer and linters read besides it — or nil when the
    /// job needs the whole tree. A sparse worktree holds every folder of the base and those files
    /// only, written as a checkout writes them: a few file writes instead of a full checkout. It
    /// is a plain folder beside the pool's linked worktrees, cleared for the next job; `close()`
    /// always removes it (keeping worktrees keeps only the linked ones).
    @discardableResult
    public func withWorktree<T: Sendable>(
        at base: ObjectID, sparse select: @escaping @Sendable (SparseTree) -> Set<String>?, _ body: (Worktree) async throws -> T
    ) async throws -> T {
        let tree = try await sparseTree(at: base)
        // The selection reads blobs (configuration files, the file's imports): not on the actor.
        guard let paths = try await BlockingIO.run({ select(tree) }) else { return try await withFullWorktree(at: base, body) }
        return try await withSparseWorktree(tree, paths: paths, body)
    }

    /// How many sparse worktrees the pool has made so far.
    public var sparseWorktreesCreated: Int { sparseMade }

    /// The base's tree, read once (on a `BlockingIO` thread) however many jobs ask at once.
    func sparseTree(at base: ObjectID) async throws -> SparseTree {
        if let reading = sparseTrees[base] { return try await reading.value }
        let repository = self.repository
        let reading = Task { try await BlockingIO.run { () throws -> SparseTree in try SparseTree.read(repository, at: base) } }
        sparseTrees[base] = reading
        return try await reading.value
    }

    func withSparseWorktree<T: Sendable>(
        _ tree: SparseTree, paths: Set<String>, _ body: (Worktree) async throws -> T
    ) async throws -> T {
        let slot = try await sparseSlot()
        let repository = self.repository
        // A slot that cannot be filled is not used again; `close()` removes it with the others.
        try await BlockingIO.run { try SparseSlots.fill(path: slot.path, repository: repository, tree: tree, paths: paths) }
        let worktree = Worktree(
            name: slot.name, path: slot.path, base: tree.base, gitDirectory: slot.path, sparse: (paths, tree, repository))
        defer { idleSparse.append(slot) }
        return try await body(worktree)
    }

    /// An idle sparse slot, or a new one: an empty folder under the pool's lock, made in
    /// microseconds, so never waited for.
    private func sparseSlot() async throws -> SparseSlot {
        guard !isClosed else { throw GitError(.worktree, "the worktree pool is closed") }
        if let slot = idleSparse.popLast() { return slot }
        let name = SparseSlots.name(runTag: runTag, index: sparseMade)
        sparseMade += 1
        let repository = self.repository
        let (path, lock) = try await BlockingIO.run { () throws -> (String, Int32) in
            guard let lock = try WorktreeSlots.claim(repository, name: name) else {
                throw GitError(.worktree, "another process holds the lock of new worktree \(name)")
            }
            do {
                return (try SparseSlots.create(in: repository, name: name), lock)
            } catch {
                WorktreeSlots.removeLeftovers(repository: repository, name: name)
                WorktreeSlots.release(lock)
                throw error
            }
        }
        // Never kept for a later run: `close()` removes it.
        locks[name] = lock
        dropped.insert(name)
        return SparseSlot(name: name, path: path)
    }
}
