/// Wait times in fixed buckets, so statistics from many runs and processes merge by addition
/// (commutative and deterministic) and take constant memory however many waits there were.
public struct WaitHistogram: Sendable, Hashable, Codable {
    /// Inclusive upper bounds in milliseconds; one more bucket holds everything longer.
    public static let bounds: [Int64] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000]

    public private(set) var counts: [Int]
    public private(set) var max: Int64

    public init() {
        counts = Array(repeating: 0, count: Self.bounds.count + 1)
        max = 0
    }

    public var total: Int { counts.reduce(0, +) }

    public mutating func record(milliseconds: Int64) {
        let index = Self.bounds.firstIndex { milliseconds <= $0 } ?? Self.bounds.count
        counts[index] += 1
        max = Swift.max(max, milliseconds)
    }

    public mutating func merge(_ other: WaitHistogram) {
        for index in counts.indices where index < other.counts.count { counts[index] += other.counts[index] }
        max = Swift.max(max, other.max)
    }

    /// The upper bound of the bucket holding the `fraction` quantile (at most the largest wait seen).
    public func percentile(_ fraction: Double) -> Int64 {
        let total = self.total
        guard total > 0 else { return 0 }
        let rank = Int((Double(total) * fraction).rounded(.up))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= Swift.max(1, rank) {
                return index < Self.bounds.count ? Swift.min(Self.bounds[index], max) : max
            }
        }
        return max
    }
}

/// Contention of one resource class.
public struct ClassStats: Sendable, Hashable, Codable {
    public var acquisitions = 0
    /// Acquisitions that had to wait for another holder.
    public var contended = 0
    /// Leases that ran out or whose holder died, and were taken over.
    public var expiries = 0
    public var staleRefusals = 0
    public var busyErrors = 0
    /// Holders that found at renewal that their lease had been taken over.
    public var lost = 0
    public var wouldWait = 0
    public var wouldRefuse = 0
    /// Leases extended on request (`renew`) and writes that passed the fencing check
    /// (`write_file`): what MCP clients do between a claim and its release.
    public var renewals = 0
    public var writes = 0
    public var waits = WaitHistogram()

    public init() {}

    public mutating func merge(_ other: ClassStats) {
        acquisitions += other.acquisitions
        contended += other.contended
        expiries += other.expiries
        staleRefusals += other.staleRefusals
        busyErrors += other.busyErrors
        lost += other.lost
        wouldWait += other.wouldWait
        wouldRefuse += other.wouldRefuse
        renewals += other.renewals
        writes += other.writes
        waits.merge(other.waits)
    }
}

extension ClassStats {
    enum CodingKeys: String, CodingKey {
        case acquisitions, contended, expiries, staleRefusals, busyErrors, lost, wouldWait, wouldRefuse, renewals, writes, waits
    }

    /// Tolerates missing counters: statistics stored by an older build (before `renewals` and
    /// `writes`) still decode, with those counters zero.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        acquisitions = try container.decodeIfPresent(Int.self, forKey: .acquisitions) ?? 0
        contended = try container.decodeIfPresent(Int.self, forKey: .contended) ?? 0
        expiries = try container.decodeIfPresent(Int.self, forKey: .expiries) ?? 0
        staleRefusals = try container.decodeIfPresent(Int.self, forKey: .staleRefusals) ?? 0
        busyErrors = try container.decodeIfPresent(Int.self, forKey: .busyErrors) ?? 0
        lost = try container.decodeIfPresent(Int.self, forKey: .lost) ?? 0
        wouldWait = try container.decodeIfPresent(Int.self, forKey: .wouldWait) ?? 0
        wouldRefuse = try container.decodeIfPresent(Int.self, forKey: .wouldRefuse) ?? 0
        renewals = try container.decodeIfPresent(Int.self, forKey: .renewals) ?? 0
        writes = try container.decodeIfPresent(Int.self, forKey: .writes) ?? 0
        waits = try container.decodeIfPresent(WaitHistogram.self, forKey: .waits) ?? WaitHistogram()
    }
}

/// Per-class contention folded from coordination events. Folding is commutative: the events of
/// several processes, in any order, give the same statistics.
public struct CoordinationStats: Sendable, Hashable, Codable {
    public var classes: [ResourceClass: ClassStats] = [:]

    public init() {}

    public init(_ events: some Sequence<CoordinationEvent>) {
        for event in events { add(event) }
    }

    public mutating func add(_ event: CoordinationEvent) {
        var stats = classes[event.resource.resourceClass] ?? ClassStats()
        switch event.kind {
        case .acquired:
            stats.acquisitions += 1
            if event.contended { stats.contended += 1 }
            stats.waits.record(milliseconds: event.waitedMilliseconds ?? 0)
        case .expired, .evicted: stats.expiries += 1
        case .stale: stats.staleRefusals += 1
        case .busy: stats.busyErrors += 1
        case .lost: stats.lost += 1
        case .wouldWait: stats.wouldWait += 1
        case .wouldRefuse: stats.wouldRefuse += 1
        case .renewed: stats.renewals += 1
        case .written: stats.writes += 1
        case .released: break
        }
        classes[event.resource.resourceClass] = stats
    }

    public mutating func merge(_ other: CoordinationStats) {
        for (resourceClass, stats) in other.classes { classes[resourceClass, default: ClassStats()].merge(stats) }
    }
}
