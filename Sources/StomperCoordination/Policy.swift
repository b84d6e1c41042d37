/// How one resource class behaves: the table of DESIGN.md, tunable per project through
/// `[maasl.resource.<CLASS>]` in stomper.toml.
public struct ResourcePolicy: Sendable, Hashable, Codable {
    public enum Concurrency: String, Sendable, Hashable, Codable { case mutex, singleWriter = "single-writer", merge, idempotent }
    public enum Contention: String, Sendable, Hashable, Codable {
        /// Wait at most the maximum wait, then fail with `ResourceBusy`; never proceed unprotected.
        case failClosed = "fail-closed"
        /// Never block: merge deterministically.
        case failOpenMerge = "fail-open-merge"
    }

    public var concurrency: Concurrency
    /// What one key covers: a file, the database, the run graph, the repository.
    public var scope: String
    public var contention: Contention
    /// How long a grant lasts without renewal. A holder renews at a third of it; a holder that
    /// stops (killed, paused) loses the resource when it runs out.
    public var leaseTTLMilliseconds: Int
    public var interactiveMaxWaitMilliseconds: Int
    public var batchMaxWaitMilliseconds: Int

    public init(
        concurrency: Concurrency, scope: String, contention: Contention, leaseTTLMilliseconds: Int,
        interactiveMaxWaitMilliseconds: Int, batchMaxWaitMilliseconds: Int
    ) {
        self.concurrency = concurrency
        self.scope = scope
        self.contention = contention
        self.leaseTTLMilliseconds = leaseTTLMilliseconds
        self.interactiveMaxWaitMilliseconds = interactiveMaxWaitMilliseconds
        self.batchMaxWaitMilliseconds = batchMaxWaitMilliseconds
    }

    public func maxWait(_ mode: OperationMode) -> Duration {
        .milliseconds(mode == .interactive ? interactiveMaxWaitMilliseconds : batchMaxWaitMilliseconds)
    }

    public var leaseTTL: Duration { .milliseconds(leaseTTLMilliseconds) }

    /// The defaults of DESIGN.md's table.
    public static func defaults(for resourceClass: ResourceClass) -> ResourcePolicy {
        switch resourceClass {
        case .critCode:
            return ResourcePolicy(
                concurrency: .mutex, scope: "file", contention: .failClosed, leaseTTLMilliseconds: 30_000,
                interactiveMaxWaitMilliseconds: 500, batchMaxWaitMilliseconds: 3_000)
        case .critDB:
            return ResourcePolicy(
                concurrency: .singleWriter, scope: "database", contention: .failClosed,
                leaseTTLMilliseconds: 60_000, interactiveMaxWaitMilliseconds: 1_000, batchMaxWaitMilliseconds: 10_000)
        case .mergeMeta:
            return ResourcePolicy(
                concurrency: .merge, scope: "graph", contention: .failOpenMerge, leaseTTLMilliseconds: 30_000,
                interactiveMaxWaitMilliseconds: 500, batchMaxWaitMilliseconds: 500)
        case .idempDocs:
            return ResourcePolicy(
                concurrency: .idempotent, scope: "repository", contention: .failClosed,
                leaseTTLMilliseconds: 120_000, interactiveMaxWaitMilliseconds: 500, batchMaxWaitMilliseconds: 5_000)
        }
    }
}

/// The policy registry: every class's policy, whether coordination is on, and whether it only
/// observes. Loaded from the `[maasl]` table of stomper.toml by the CLI.
public struct CoordinationPolicy: Sendable, Hashable, Codable {
    public enum Enforcement: String, Sendable, Hashable, Codable, CaseIterable {
        /// Leases are waited for and stale writes refused.
        case enforce
        /// Never blocks and never refuses: every would-be wait and refusal is recorded instead.
        case observe
    }

    /// With `false`, no leases are taken and writes are not fenced (one process at a time is then
    /// the user's responsibility).
    public var enabled: Bool = true
    public var enforcement: Enforcement = .enforce
    public var classes: [ResourceClass: ResourcePolicy] = Dictionary(
        uniqueKeysWithValues: ResourceClass.allCases.map { ($0, ResourcePolicy.defaults(for: $0)) })

    public init() {}

    public subscript(_ resourceClass: ResourceClass) -> ResourcePolicy {
        get { classes[resourceClass] ?? .defaults(for: resourceClass) }
        set { classes[resourceClass] = newValue }
    }

    public var observeOnly: Bool { enforcement == .observe }
}
