public import StomperQuality

/// Finds the largest part of a deterministic fixer's change that verifies, by leaving rules out.
///
/// A fixer such as `ruff check --fix` applies many rules' fixes at once. When the result
/// introduces a diagnostic (a rewrite made a line too long) or breaks the tests, throwing the
/// whole change away loses every other fix. Instead the rules whose fixes touched the offending
/// lines are left out (`--unfixable`) and the fixer runs again; when a failure cannot be tied to
/// lines (the tests failed), the rules fixed are halved. Every round leaves out at least one rule,
/// so a file with `n` fixable rules takes at most `n` more runs.
///
/// Pure: the pipeline runs the fixer and verifies; this decides what to leave out next.
public struct RuleNarrowing: Sendable, Hashable {
    /// Rules left out so far (`tool` + U+001F + `code`), with the reason.
    public private(set) var dropped: [String: String] = [:]

    public init() {}

    /// The key of a diagnostic's rule.
    public static func rule(_ diagnostic: Diagnostic) -> String { diagnostic.tool + "\u{1f}" + diagnostic.code }

    /// The rule keys of `targets` still in play.
    public func rules(in targets: [Diagnostic]) -> [String] {
        Set(targets.map(Self.rule)).subtracting(dropped.keys).sorted()
    }

    /// The targets whose rules are still in play.
    public func remainingTargets(_ targets: [Diagnostic]) -> [Diagnostic] {
        targets.filter { dropped[Self.rule($0)] == nil }
    }

    /// The targets whose rules were left out (their fixes must not be applied).
    public func droppedTargets(_ targets: [Diagnostic]) -> [Diagnostic] {
        targets.filter { dropped[Self.rule($0)] != nil }
    }

    /// What to do after a round's change failed verification.
    public enum Step: Sendable, Hashable {
        /// Run the fixer again without these rules (now recorded in `dropped`).
        case retry(without: [String])
        /// Nothing is left to try.
        case exhausted
    }

    /// Decides which rules to leave out after a failed round.
    ///
    /// - Parameters:
    ///   - targets: the diagnostics the round targeted, at the positions of `before`.
    ///   - fixedRules: rule keys whose targets the round's change removed (candidates when the
    ///     failure cannot be tied to lines).
    ///   - before: the file's lines before the round; `after`: after it.
    ///   - introduced: diagnostics the change introduced, at the positions of `after`; empty when
    ///     the failure has no position (tests failed, gate).
    ///   - reason: why the round failed, for the record (`introduced E501`, `the tests failed`).
    public mutating func next(targets: [Diagnostic], fixedRules: Set<String>, before: [Substring], after: [Substring],
                              introduced: [Diagnostic], reason: String) -> Step {
        let inPlay = Set(rules(in: targets))
        guard !inPlay.isEmpty else { return .exhausted }
        var suspects: Set<String> = []
        if !introduced.isEmpty {
            let regions = Self.changedRegions(before: before, after: after)
            for diagnostic in introduced {
                let line = diagnostic.line - 1
                let lastLine = max(line, (diagnostic.endLine ?? diagnostic.line) - 1)
                for region in regions where region.after.overlaps(line...lastLine) || (region.after.isEmpty && region.after.lowerBound == line) {
                    // A pure insertion has an empty range in `before`: the lines around it count.
                    let window = region.before.isEmpty
                        ? max(0, region.before.lowerBound - 1)...region.before.lowerBound
                        : region.before.lowerBound...(region.before.upperBound - 1)
                    for target in targets where inPlay.contains(Self.rule(target)) {
                        let first = target.line - 1
                        let last = max(first, (target.endLine ?? target.line) - 1)
                        if window.overlaps(first...last) { suspects.insert(Self.rule(target)) }
                    }
                }
            }
        }
        if suspects.isEmpty {
            // No position to go by: halve the rules the change fixed (all in play if none is known).
            let candidates = inPlay.intersection(fixedRules).isEmpty ? inPlay.sorted() : inPlay.intersection(fixedRules).sorted()
            suspects = Set(candidates.count == 1 ? candidates : Array(candidates.suffix(candidates.count / 2)))
            for rule in suspects { dropped[rule] = "left out to isolate which fix failed (\(reason))" }
        } else {
            for rule in suspects { dropped[rule] = "its fix \(reason)" }
        }
        return .retry(without: suspects.sorted())
    }

    /// A stretch of lines that differs: `before` in the old file, `after` in the new one
    /// (0-based, half-open; one of them may be empty).
    public struct Region: Sendable, Hashable {
        public var before: Range<Int>
        public var after: Range<Int>
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
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    }
}
