public import StomperQuality

/// Finds the largest part of a deterministic fixer's change that verifies, by leaving rules out.
///
/// A fixer such as `ruff check --fix` applies many rules' fixes at once. When the result
/// introduces a diagnostic (a rewrite made a line too long) or breaks the tests, throwing the
/// whole change away loses every other fix. Instead the rules whose fixes touched the offending
/// lines are left out (`--unfixable`) and the fixer runs again. When a failure cannot be tied to
/// lines (the tests failed), each rule the change fixed is left out alone in turn, the others
/// kept, until one such run verifies: that rule is the culprit and everything else lands. If no
/// single rule explains it, all of them are left out.
///
/// Bounded: a file with `n` fixable rules takes at most about `2n` more runs of the fixer.
/// Pure: the pipeline runs the fixer and verifies; this decides what to leave out next.
public struct RuleNarrowing: Sendable, Hashable {
    /// Rules left out for good (`tool` + U+001F + `code`), with the reason.
    private var blamed: [String: String] = [:]
    /// While isolating a failure without positions: the candidates, and which one is left out now.
    private var probe: (candidates: [String], index: Int, reason: String)?

    public init() {}

    public static func == (lhs: RuleNarrowing, rhs: RuleNarrowing) -> Bool {
        lhs.blamed == rhs.blamed && lhs.probe?.candidates == rhs.probe?.candidates && lhs.probe?.index == rhs.probe?.index
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(blamed)
        hasher.combine(probe?.candidates)
        hasher.combine(probe?.index)
    }

    /// Rules left out in the coming run, with the reason: the blamed ones, and the one a probe
    /// leaves out to see whether the rest verifies.
    public var dropped: [String: String] {
        var result = blamed
        if let probe {
            result[probe.candidates[probe.index]] = "left out while isolating which fix \(probe.reason)"
        }
        return result
    }

    /// The key of a diagnostic's rule.
    public static func rule(_ diagnostic: Diagnostic) -> String { diagnostic.tool + "\u{1f}" + diagnostic.code }

    /// The rule keys of `targets` still in play.
    public func rules(in targets: [Diagnostic]) -> [String] {
        Set(targets.map(Self.rule)).subtracting(dropped.keys).sorted()
    }

    /// The targets whose rules are still in play.
    public func remainingTargets(_ targets: [Diagnostic]) -> [Diagnostic] {
        let dropped = self.dropped
        return targets.filter { dropped[Self.rule($0)] == nil }
    }

    /// The targets whose rules were left out (their fixes must not be applied).
    public func droppedTargets(_ targets: [Diagnostic]) -> [Diagnostic] {
        let dropped = self.dropped
        return targets.filter { dropped[Self.rule($0)] != nil }
    }

    /// What to do after a round's change failed verification.
    public enum Step: Sendable, Hashable {
        /// Run the fixer again without these rules (see `dropped`).
        case retry(without: [String])
        /// Nothing is left to try.
        case exhausted
    }

    /// Decides which rules to leave out after a failed round.
    ///
    /// - Parameters:
    ///   - targets: the diagnostics the round targeted, at the positions of `before`.
    ///   - fixedRules: rule keys whose targets the round's change removed (the candidates when
    ///     the failure cannot be tied to lines).
    ///   - before: the file's lines before the round; `after`: after it.
    ///   - introduced: diagnostics the change introduced, at the positions of `after`; empty when
    ///     the failure has no position (tests failed, gate).
    ///   - reason: why the round failed, for the record (`introduced E501`, `the tests failed`).
    public mutating func next(targets: [Diagnostic], fixedRules: Set<String>, before: [Substring], after: [Substring],
                              introduced: [Diagnostic], reason: String) -> Step {
        let inPlay = Set(targets.map(Self.rule)).subtracting(blamed.keys)
        guard !inPlay.isEmpty else { return .exhausted }
        let suspects = introduced.isEmpty ? [] : Self.suspects(of: introduced, among: targets.filter { inPlay.contains(Self.rule($0)) },
                                                                before: before, after: after)
        if !suspects.isEmpty {
            // Positions name the culprits: any probe under way is over, its rule back in play.
            probe = nil
            for rule in suspects { blamed[rule] = "its fix \(reason)" }
            return .retry(without: suspects.sorted())
        }
        if var current = probe {
            // Leaving that one out did not help: try the next one alone.
            current.index += 1
            if current.index < current.candidates.count {
                probe = current
                return .retry(without: [current.candidates[current.index]])
            }
            // No single rule explains the failure: leave every candidate out.
            probe = nil
            for rule in current.candidates { blamed[rule] = "its fix may have \(current.reason) (no single rule's fix explained it)" }
            return .retry(without: current.candidates)
        }
        let known = inPlay.intersection(fixedRules)
        let candidates = (known.isEmpty ? inPlay : known).sorted()
        if candidates.count == 1 {
            blamed[candidates[0]] = "its fix \(reason)"
            return .retry(without: candidates)
        }
        probe = (candidates, 0, reason)
        return .retry(without: [candidates[0]])
    }

    /// The rules among `targets` whose positions (in `before`) overlap a changed region that holds
    /// an introduced diagnostic (in `after`).
    static func suspects(of introduced: [Diagnostic], among targets: [Diagnostic], before: [Substring], after: [Substring]) -> Set<String> {
        let regions = changedRegions(before: before, after: after)
        var suspects: Set<String> = []
        for diagnostic in introduced {
            let span = lines(of: diagnostic)
            for region in regions where region.after.overlaps(span) || (region.after.isEmpty && span.contains(region.after.lowerBound)) {
                // A pure insertion has an empty range in `before`: the lines around it count.
                let window = region.before.isEmpty
                    ? max(0, region.before.lowerBound - 1)...region.before.lowerBound
                    : region.before.lowerBound...(region.before.upperBound - 1)
                for target in targets where window.overlaps(lines(of: target)) { suspects.insert(rule(target)) }
            }
        }
        return suspects
    }

    /// The 0-based lines a diagnostic covers. Ends are exclusive: a range ending at column 1 of a
    /// line (ruff's import block, I001) does not cover that line.
    static func lines(of diagnostic: Diagnostic) -> ClosedRange<Int> {
        let first = diagnostic.line - 1
        guard let endLine = diagnostic.endLine else { return first...first }
        let last = endLine - 1 - (diagnostic.endColumn == 1 && endLine > diagnostic.line ? 1 : 0)
        return first...max(first, last)
    }

    /// A stretch of lines that differs: `before` in the old file, `after` in the new one
    /// (0-based, half-open; one of them may be empty).
    public struct Region: Sendable, Hashable {
        public var before: Range<Int>
        public var after: Range<Int>

        public init(before: Range<Int>, after: Range<Int>) {
            self.before = before
            self.after = after
        }
    }

    /// The regions where `after` differs from `before`, in order (Myers diff of the lines).
    public static func changedRegions(before: [Substring], after: [Substring]) -> [Region] {
        let difference = after.difference(from: before)
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var regions: [Region] = []
        var (i, j) = (0, 0)
        while i < before.count || j < after.count {
            if removed.contains(i) || inserted.contains(j) {
                let (i0, j0) = (i, j)
                while removed.contains(i) || inserted.contains(j) {
                    if removed.contains(i) { i += 1 } else { j += 1 }
                }
                regions.append(Region(before: i0..<i, after: j0..<j))
            } else {
                i += 1
                j += 1
            }
        }
        return regions
    }

    /// The lines of a file, without their line breaks.
    public static func lines(_ bytes: [UInt8]) -> [Substring] {
        // "\r\n" is one Character in Swift: split on it too. A job's patch holds blobs (LF where
        // the attributes convert) while the file it started from was read from the worktree
        // (CRLF): both must give the same lines.
        String(decoding: bytes, as: UTF8.self).split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }
}
