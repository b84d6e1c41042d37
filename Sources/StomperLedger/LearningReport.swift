/// What the ledger's learning figures mean: which codes are mastered, which are difficult, and
/// which agent to try first for a set of codes. Pure, so the thresholds are tested directly.
public struct LearningReport: Sendable, Hashable, Codable {
    /// A code is mastered when some agent fixed it in at least this share of at least
    /// `minimumAttempts` attempts…
    public static let masteredRate = 0.9
    /// …and difficult when no agent reaches this share over at least `minimumAttempts` attempts.
    public static let difficultRate = 0.5
    public static let minimumAttempts = 2

    public var figures: [LearningFigure]
    public var agents: [AgentFigure]

    public init(figures: [LearningFigure], agents: [AgentFigure] = []) {
        self.figures = figures
        self.agents = agents
    }

    /// `linter/code` of every code some agent fixed in at least `masteredRate` of at least
    /// `minimumAttempts` attempts, sorted.
    public var mastered: [String] {
        byCode.filter { _, figures in figures.contains { Self.isMeasured($0) && $0.successRate >= Self.masteredRate } }
            .keys.sorted()
    }

    /// `linter/code` of every code tried at least `minimumAttempts` times for which no agent
    /// reaches `difficultRate` over at least `minimumAttempts` attempts, sorted.
    public var difficult: [String] {
        byCode.filter { _, figures in
            figures.reduce(0) { $0 + $1.attempts } >= Self.minimumAttempts
                && !figures.contains { Self.isMeasured($0) && $0.successRate >= Self.difficultRate }
        }.keys.sorted()
    }

    private static func isMeasured(_ figure: LearningFigure) -> Bool { figure.attempts >= minimumAttempts }

    private var byCode: [String: [LearningFigure]] {
        Dictionary(grouping: figures) { "\($0.linter)/\($0.code)" }
    }

    /// Whether `code` is difficult (any linter).
    public func isDifficult(code: String) -> Bool {
        difficult.contains { $0.hasSuffix("/" + code) }
    }

    /// `agents` ordered by their measured success on `codes` (successes over attempts, summed over
    /// the codes), best first. An agent with fewer than `minimumAttempts` attempts on these codes
    /// has no measured rate and keeps its configured place relative to the others; ties keep the
    /// configured order. So a chain is only reordered on evidence.
    public func order(_ agents: [String], for codes: Set<String>) -> [String] {
        func rate(_ agent: String) -> Double? {
            let relevant = figures.filter { $0.agent == agent && codes.contains($0.code) }
            let attempts = relevant.reduce(0) { $0 + $1.attempts }
            guard attempts >= Self.minimumAttempts else { return nil }
            return Double(relevant.reduce(0) { $0 + $1.successes }) / Double(attempts)
        }
        let measured = agents.enumerated().compactMap { index, agent in rate(agent).map { (index, agent, $0) } }
        // Only the places held by measured agents are reassigned, best rate first.
        let sorted = measured.sorted { ($1.2, $0.0) < ($0.2, $1.0) }
        var result = agents
        for (slot, entry) in zip(measured.map(\.0), sorted) { result[slot] = entry.1 }
        return result
    }
}
