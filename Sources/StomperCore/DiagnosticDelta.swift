public import StomperQuality

/// What an attempt changed about a file's diagnostics.
///
/// Diagnostics are matched by tool and code, counting occurrences: a fix moves lines around, so
/// positions before and after cannot be compared directly. Within a code, the after-diagnostics in
/// position order are counted as remaining first, and the surplus as introduced.
public struct DiagnosticDelta: Sendable, Hashable {
    /// Targeted diagnostics that are gone, counted per code.
    public var fixed: [String: Int]
    /// Targeted diagnostics still present (as reported after the attempt).
    public var remaining: [Diagnostic]
    /// Diagnostics present after the attempt beyond what the file had before.
    public var introduced: [Diagnostic]
    /// Untargeted diagnostics that are gone as a side effect of the change (an unused `typing`
    /// import's UP035 when UP006 rewrote its last use), counted per code. They are fixed by what
    /// lands, so reports count them; whether an attempt improved the file is decided by `fixed`.
    public var alsoFixed: [String: Int]
    /// Diagnostics present after the attempt that were there before and were not targeted (codes
    /// the selection left out, or that the run's fixers cannot fix), at their new positions.
    public var untargeted: [Diagnostic]

    /// - Parameters:
    ///   - targets: the diagnostics the job set out to fix.
    ///   - baseline: every diagnostic the file had before (targets included); pre-existing ones that
    ///     were not targeted are neither remaining nor introduced.
    ///   - after: the diagnostics of the file after the attempt.
    ///
    /// Per code, with `T` targeted, `B` before (at least `T`) and `A` after: `min(T, B − A)` are
    /// fixed, the rest of the targets remain, and whatever goes beyond `B` is introduced. So a code
    /// with one fixable and one unfixable finding counts one fixed when only the unfixable is left.
    public init(targets: [Diagnostic], baseline: [Diagnostic], after: [Diagnostic]) {
        func key(_ diagnostic: Diagnostic) -> String { diagnostic.tool + ":" + diagnostic.code }
        let targetCounts = Dictionary(grouping: targets, by: key).mapValues(\.count)
        let baselineCounts = Dictionary(grouping: baseline, by: key).mapValues(\.count)
        let afterGroups = Dictionary(grouping: after.sorted(), by: key)
        var fixed: [String: Int] = [:]
        var remaining: [Diagnostic] = []
        var introduced: [Diagnostic] = []
        var untargeted: [Diagnostic] = []
        for (code, count) in targetCounts {
            let before = max(baselineCounts[code] ?? 0, count)
            let gone = min(count, max(0, before - (afterGroups[code]?.count ?? 0)))
            if gone > 0 { fixed[String(code.split(separator: ":", maxSplits: 1).last ?? ""), default: 0] += gone }
        }
        var alsoFixed: [String: Int] = [:]
        for (code, count) in baselineCounts {
            let untargetedBefore = count - min(count, targetCounts[code] ?? 0)
            let targeted = targetCounts[code] ?? 0
            let present = afterGroups[code]?.count ?? 0
            // After-diagnostics beyond the targets still there are the untargeted ones left.
            let gone = min(targeted, max(0, max(count, targeted) - present))
            let untargetedAfter = max(0, min(present, max(count, targeted)) - (targeted - gone))
            if untargetedBefore > untargetedAfter {
                alsoFixed[String(code.split(separator: ":", maxSplits: 1).last ?? ""), default: 0] += untargetedBefore - untargetedAfter
            }
        }
        for (code, list) in afterGroups {
            let targeted = targetCounts[code] ?? 0
            let preexisting = max(baselineCounts[code] ?? 0, targeted)
            let gone = min(targeted, max(0, preexisting - list.count))
            // Targets still there first (fixable ones before the rest), then what was there untargeted.
            let present = Array(list.prefix(preexisting)).sorted { ($0.fixable ? 0 : 1, $0) < ($1.fixable ? 0 : 1, $1) }
            remaining += present.prefix(targeted - gone)
            untargeted += present.dropFirst(targeted - gone)
            introduced += list.dropFirst(preexisting)
        }
        self.fixed = fixed
        self.remaining = remaining.sorted()
        self.introduced = introduced.sorted()
        self.untargeted = untargeted.sorted()
        self.alsoFixed = alsoFixed
    }

    /// Everything the change removed, targeted or not, per code.
    public var allFixed: [String: Int] { fixed.merging(alsoFixed, uniquingKeysWith: +) }

    public var fixedCount: Int { fixed.values.reduce(0, +) }
    /// Every target gone and nothing new.
    public var isComplete: Bool { remaining.isEmpty && introduced.isEmpty }
    /// Some targets gone and nothing new.
    public var isImprovement: Bool { fixedCount > 0 && introduced.isEmpty }
}
