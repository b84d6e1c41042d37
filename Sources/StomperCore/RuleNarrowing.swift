public import StomperQuality

/// Finds the largest part of a deterministic fixer's change that verifies, by leaving rules out.
///
/// A fixer such as `ruff check --fix` applies many rules' fixes at once. When the result
/// introduces a diagnostic (a rewrite made a line too long) or breaks the tests, throwing the
/// whole change away loses every other fix. Instead the rules whose fixes touched the offending
/// lines are left out (`--unfixable`) and the fixer runs again. When a failure cannot be tied to
/// lines (the tests failed), each rule the change fixed is left out alone in turn, the others
/// kept, until one such run verifies: that rule is the culprit and everything else lands. If no
/// single rule explains it (two culprits), the rules are added back one at a time on top of what
/// was kept: each that verifies stays, each that fails is left out.
///
/// Bounded: a file with `n` fixable rules takes at most about `3n` more runs of the fixer.
/// Pure: the pipeline runs the fixer and verifies; this decides what to leave out next.
public struct RuleNarrowing: Sendable, Hashable {
    /// How a failure without positions is being isolated.
    private enum Phase: Sendable, Hashable {
        /// Each candidate left out alone in turn (`index` is the one left out now).
        case probing(candidates: [String], index: Int, reason: String)
        /// Candidates added back one at a time (`index` is the one tried now; later ones are left
        /// out, earlier ones were kept or blamed).
        case building(candidates: [String], index: Int, reason: String)
    }

    /// Rules left out for good (`tool` + U+001F + `code`), with the reason.
    private var blamed: [String: String] = [:]
    private var phase: Phase?

    public init() {}

    /// Rules left out in the coming run, with the reason: the blamed ones, and those an isolation
    /// under way leaves out to see whether the rest verifies.
    public var dropped: [String: String] {
        var result = blamed
        switch phase {
        case .probing(let candidates, let index, let reason):
            result[candidates[index]] = "left out while isolating which fix \(reason)"
        case .building(let candidates, let index, let reason):
            for rule in candidates.dropFirst(index + 1) where result[rule] == nil {
                result[rule] = "left out while isolating which fix \(reason)"
            }
        case nil:
            break
        }
        return result
    }

    /// After a run that verified: true when rules remain to be added back one at a time, so the
    /// fixer should run again (from what was kept) with the next one.
    public mutating func advanceAfterSuccess() -> Bool {
        guard case .building(let candidates, let index, let reason) = phase else { return false }
        guard index + 1 < candidates.count else {
            phase = nil
            return false
        }
        phase = .building(candidates: candidates, index: index + 1, reason: reason)
        return true
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
    public mutating func next(
        targets: [Diagnostic], fixedRules: Set<String>, before: [Substring], after: [Substring],
        introduced: [Diagnostic], reason: String
    ) -> Step {
        if case .building(let candidates, let index, let buildReason) = phase {
            // Adding this one back broke it: it stays out, the next one is tried.
            blamed[candidates[index]] = "its fix \(buildReason) (found adding the rules back one at a time)"
            phase = index + 1 < candidates.count ? .building(candidates: candidates, index: index + 1, reason: buildReason) : nil
            return retryOrExhausted(targets)
        }
        let inPlay = Set(targets.map(Self.rule)).subtracting(blamed.keys)
        guard !inPlay.isEmpty else { return .exhausted }
        let suspects =
            introduced.isEmpty
            ? []
            : Self.suspects(
                of: introduced, among: targets.filter { inPlay.contains(Self.rule($0)) },
                before: before, after: after)
        if !suspects.isEmpty {
            // Positions name the culprits: any probe under way is over, its rule back in play.
            phase = nil
            for rule in suspects { blamed[rule] = "its fix \(reason)" }
            return .retry(without: dropped.keys.sorted())
        }
        if case .probing(let candidates, let index, let probeReason) = phase {
            if index + 1 < candidates.count {
                // Leaving that one out did not help: try the next one alone.
                phase = .probing(candidates: candidates, index: index + 1, reason: probeReason)
                return .retry(without: dropped.keys.sorted())
            }
            // No single rule explains the failure: add them back one at a time.
            phase = .building(candidates: candidates, index: 0, reason: probeReason)
            return .retry(without: dropped.keys.sorted())
        }
        let known = inPlay.intersection(fixedRules)
        let candidates = (known.isEmpty ? inPlay : known).sorted()
        if candidates.count == 1 {
            blamed[candidates[0]] = "its fix \(reason)"
            return retryOrExhausted(targets)
        }
        phase = .probing(candidates: candidates, index: 0, reason: reason)
        return .retry(without: dropped.keys.sorted())
    }

    /// Another run if some of `targets`' rules are still in play.
    private func retryOrExhausted(_ targets: [Diagnostic]) -> Step {
        let left = dropped
        return targets.contains(where: { left[Self.rule($0)] == nil }) || phase != nil ? .retry(without: left.keys.sorted()) : .exhausted
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
                let window =
                    region.before.isEmpty
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
