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

    /// `linter/code` of every code some agent fixes reliably, sorted.
    public var mastered: [String] {
        codesWhere { best in best.attempts >= Self.minimumAttempts && best.successRate >= Self.masteredRate }
    }

    /// `linter/code` of every code no agent fixes reliably yet, sorted.
    public var difficult: [String] {
        codesWhere { best in best.successRate < Self.difficultRate }
            .filter { name in attempts(of: name) >= Self.minimumAttempts }
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

    private func attempts(of name: String) -> Int {
        figures.filter { "\($0.linter)/\($0.code)" == name }.reduce(0) { $0 + $1.attempts }
    }

    private func codesWhere(_ predicate: (LearningFigure) -> Bool) -> [String] {
        let byCode = Dictionary(grouping: figures) { "\($0.linter)/\($0.code)" }
        return byCode.compactMap { name, figures in
            let best = figures.max { ($0.successRate, $0.attempts) < ($1.successRate, $1.attempts) }!
            return predicate(best) ? name : nil
        }.sorted()
    }
}
