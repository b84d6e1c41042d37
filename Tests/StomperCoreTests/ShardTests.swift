import Foundation
@testable import StomperCore
import StomperGit
import StomperQuality
import StomperTestSupport
import Testing

/// `stomper fix --shard I/N`: the spec (flag and CI environments), the split of files over
/// shards, and a plan cut down to one shard.
@Suite(.tags(.unit)) struct ShardTests {
    // MARK: Parsing

    @Test(arguments: [("2/8", 2, 8), (" 2 / 8 ", 2, 8), ("1/1", 1, 1), ("3/3", 3, 3), ("+1/2", 1, 2)])
    func parses(text: String, index: Int, count: Int) throws {
        let spec = try ShardSpec(parsing: text)
        #expect(spec.index == index && spec.count == count)
    }

    @Test func labelsAndBranchSuffix() throws {
        let spec = try ShardSpec(parsing: "2/8")
        #expect(spec.label == "2/8")
        #expect(spec.description == "2/8")
        #expect(spec.branchSuffix == "shard-2-of-8")
    }

    @Test(arguments: [
        ("0/3", "--shard 0/3: shards are numbered from 1: use 1/3 … 3/3"),
        ("4/3", "--shard 4/3: there are only 3 shards: use 1/3 … 3/3"),
        ("2/1", "--shard 2/1: there is only 1 shard: use 1/1"),
        ("-1/3", "--shard -1/3: shards are numbered from 1"),
        ("a/b", "--shard a/b: I and N must be whole numbers"),
        ("1/", "--shard 1/: I and N must be whole numbers"),
        ("3", "--shard 3: expected I/N"),
        ("", "--shard : expected I/N"),
        ("1/2/3", "--shard 1/2/3: expected I/N"),
        ("1/0", "--shard 1/0: the number of shards must be at least 1"),
        ("1/-2", "--shard 1/-2: the number of shards must be at least 1"),
    ])
    func refusesNamingTheInputAndTheFix(text: String, message: String) {
        let error = #expect(throws: CoreError.self) { try ShardSpec(parsing: text) }
        #expect(error?.code == .invalidSetting)
        #expect(error?.subject == "--shard")
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
    }

    @Test func numbersAreCheckedEveryWayIn() throws {
        #expect(throws: CoreError.self) { try ShardSpec(index: 0, count: 3) }
        #expect(throws: CoreError.self) { try ShardSpec(index: 4, count: 3) }
        let spec = try ShardSpec(index: 3, count: 4)
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(ShardSpec.self, from: data) == spec)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ShardSpec.self, from: Data(#"{"index":0,"count":3}"#.utf8)) }
    }

    // MARK: The environment

    @Test(arguments: [
        (["STOMPER_SHARD": "2/4"], "2/4"),
        (["STOMPER_SHARD": " 1 / 1 "], "1/1"),
        (["GITLAB_CI": "true", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "4"], "1/4"),
        (["GITLAB_CI": "true", "CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "4"], "4/4"),
        // Buildkite and Kubernetes count from 0.
        (["BUILDKITE": "true", "BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "3"], "1/3"),
        (["BUILDKITE": "true", "BUILDKITE_PARALLEL_JOB": "2", "BUILDKITE_PARALLEL_JOB_COUNT": "3"], "3/3"),
        (["JOB_COMPLETION_INDEX": "0", "STOMPER_SHARD_TOTAL": "5"], "1/5"),
        (["JOB_COMPLETION_INDEX": "4", "STOMPER_SHARD_TOTAL": "5"], "5/5"),
    ])
    func readsEachCISystem(environment: [String: String], label: String) throws {
        #expect(try ShardSpec.fromEnvironment(environment)?.label == label)
    }

    @Test(arguments: [
        [:],
        ["CI": "true", "GITHUB_ACTIONS": "true"],
        ["STOMPER_SHARD": ""],
        // A lone Indexed Job is not a stomper shard without STOMPER_SHARD_TOTAL.
        ["JOB_COMPLETION_INDEX": "2"],
        // The names alone are not enough: other tools count CI_NODE_INDEX from 0.
        ["CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "4"],
        ["BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "2"],
    ])
    func nilWhenNothingSaysShard(environment: [String: String]) throws {
        #expect(try ShardSpec.fromEnvironment(environment) == nil)
    }

    @Test(arguments: [
        (["STOMPER_SHARD": "0/4"], "STOMPER_SHARD", "STOMPER_SHARD=0/4: shards are numbered from 1: use STOMPER_SHARD=1/4 … 4/4"),
        (["STOMPER_SHARD": "two"], "STOMPER_SHARD", "STOMPER_SHARD=two: expected I/N"),
        (
            ["GITLAB_CI": "true", "CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "4"], "CI_NODE_INDEX",
            "CI_NODE_INDEX=0 with CI_NODE_TOTAL=4: CI_NODE_INDEX must be from 1 to 4"
        ),
        (["GITLAB_CI": "true", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "four"], "CI_NODE_TOTAL", "CI_NODE_TOTAL=four: not a whole number"),
        (["GITLAB_CI": "true", "CI_NODE_INDEX": "1"], "CI_NODE_TOTAL", "CI_NODE_INDEX is set but CI_NODE_TOTAL is not"),
        (
            ["BUILDKITE": "true", "BUILDKITE_PARALLEL_JOB": "3", "BUILDKITE_PARALLEL_JOB_COUNT": "3"], "BUILDKITE_PARALLEL_JOB",
            "BUILDKITE_PARALLEL_JOB=3 with BUILDKITE_PARALLEL_JOB_COUNT=3: BUILDKITE_PARALLEL_JOB must be from 0 to 2"
        ),
        (
            ["BUILDKITE": "true", "BUILDKITE_PARALLEL_JOB": "x", "BUILDKITE_PARALLEL_JOB_COUNT": "3"], "BUILDKITE_PARALLEL_JOB",
            "BUILDKITE_PARALLEL_JOB=x: not a whole number"
        ),
        (["JOB_COMPLETION_INDEX": "one", "STOMPER_SHARD_TOTAL": "3"], "JOB_COMPLETION_INDEX", "JOB_COMPLETION_INDEX=one: not a whole number"),
        (
            ["JOB_COMPLETION_INDEX": "0", "STOMPER_SHARD_TOTAL": "0"], "JOB_COMPLETION_INDEX",
            "JOB_COMPLETION_INDEX=0 with STOMPER_SHARD_TOTAL=0: the number of shards must be at least 1"
        ),
        (["STOMPER_SHARD_TOTAL": "3"], "STOMPER_SHARD_TOTAL", "STOMPER_SHARD_TOTAL is set but JOB_COMPLETION_INDEX is not"),
    ])
    func malformedValuesNameTheVariable(environment: [String: String], variable: String, message: String) {
        let error = #expect(throws: CoreError.self) { try ShardSpec.fromEnvironment(environment) }
        #expect(error?.code == .invalidSetting)
        #expect(error?.subject == variable)
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
    }

    @Test func precedenceIsExplicitThenGitLabBuildkiteKubernetes() throws {
        let gitlab = ["GITLAB_CI": "true", "CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "5"]
        let buildkite = ["BUILDKITE": "true", "BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "3"]
        let kubernetes = ["JOB_COMPLETION_INDEX": "6", "STOMPER_SHARD_TOTAL": "7"]
        let all = gitlab.merging(buildkite) { a, _ in a }.merging(kubernetes) { a, _ in a }
        #expect(try ShardSpec.fromEnvironment(all.merging(["STOMPER_SHARD": "1/1"]) { a, _ in a })?.label == "1/1")
        #expect(try ShardSpec.fromEnvironment(all)?.label == "2/5")
        #expect(try ShardSpec.fromEnvironment(buildkite.merging(kubernetes) { a, _ in a })?.label == "1/3")
        #expect(try ShardSpec.fromEnvironment(kubernetes)?.label == "7/7")
        // The explicit variable wins without reading a broken CI pair.
        #expect(try ShardSpec.fromEnvironment(["STOMPER_SHARD": "1/1", "GITLAB_CI": "true", "CI_NODE_INDEX": "x"])?.label == "1/1")
    }

    // MARK: Assignment

    /// `count` paths like a repository's, with costs from `costs`.
    static func files(_ count: Int, costs: ClosedRange<Int>, using generator: inout SeededGenerator) -> [String: Int] {
        var files: [String: Int] = [:]
        while files.count < count {
            files["src/pkg\(Int.random(in: 0..<20, using: &generator))/module_\(files.count).py"] = Int.random(in: costs, using: &generator)
        }
        return files
    }

    static func loads(_ assignment: [String: Int], _ costs: [String: Int], count: Int) -> [Int] {
        var load = [Int](repeating: 0, count: count + 1)
        for (path, shard) in assignment { load[shard] += max(costs[path]!, 1) }
        return Array(load.dropFirst())
    }

    @Test func deterministicOnAnyMachine() {
        let costs = ["a.py": 1, "b.py": 2, "c.py": 3, "d.py": 1, "e.py": 5, "src/f.py": 2]
        let assignment = ShardAssignment.assign(costs: costs, count: 3)
        // Pinned (and computed independently in Python with hashlib): a change here changes the
        // split of every running matrix, so shards made by two builds would overlap; a
        // per-process hash would fail it too.
        #expect(assignment == ["a.py": 2, "b.py": 1, "c.py": 3, "d.py": 3, "e.py": 2, "src/f.py": 3])
        var reordered: [String: Int] = [:]
        for key in costs.keys.sorted().reversed() { reordered[key] = costs[key] }
        #expect(ShardAssignment.assign(costs: reordered, count: 3) == assignment)
    }

    @Test func disjointCoveringAndBalancedOnRandomSets() {
        var generator = SeededGenerator(state: 17)
        for round in 0..<300 {
            let count = Int.random(in: 1...12, using: &generator)
            let maxCost = Int.random(in: 1...40, using: &generator)
            var costs = Self.files(Int.random(in: 0...300, using: &generator), costs: 1...maxCost, using: &generator)
            if round % 10 == 0, let first = costs.keys.min() { costs[first] = 0 }  // counts as 1
            let assignment = ShardAssignment.assign(costs: costs, count: count)
            #expect(Set(assignment.keys) == Set(costs.keys), "round \(round)")
            #expect(assignment.values.allSatisfy { (1...count).contains($0) }, "round \(round)")
            let total = costs.values.map { max($0, 1) }.reduce(0, +)
            let biggest = costs.values.map { max($0, 1) }.max() ?? 0
            // max load ≤ total / N + max cost, in integers.
            let worst = Self.loads(assignment, costs, count: count).max() ?? 0
            #expect(worst * count <= total + biggest * count, "round \(round): \(worst) over \(total)/\(count) + \(biggest)")
        }
    }

    /// Measured: over 500 sets of 200 files (costs 1–5, N = 4) adding one file moved 2.0 others
    /// on average, 5 in 95 % of the sets and 8 at most. The bound leaves room for another seed, not for a regression to
    /// a split that reshuffles (a modulo split would move about 150).
    @Test func addingOneFileMovesFewOthers() {
        var generator = SeededGenerator(state: 2024)
        var moved: [Int] = []
        for _ in 0..<40 {
            let costs = Self.files(200, costs: 1...5, using: &generator)
            let before = ShardAssignment.assign(costs: costs, count: 4)
            var grown = costs
            grown["src/new/added_\(Int.random(in: 0..<1_000_000, using: &generator)).py"] = Int.random(in: 1...5, using: &generator)
            let after = ShardAssignment.assign(costs: grown, count: 4)
            moved.append(costs.keys.filter { before[$0] != after[$0] }.count)
        }
        #expect(moved.max()! <= 20, "\(moved)")  // at most 10 % of the files
        #expect(Double(moved.reduce(0, +)) / Double(moved.count) <= 5, "\(moved)")
    }

    @Test func oneShardTakesEverything() {
        let costs = ["a.py": 3, "b.py": 0, "c.py": 9]
        #expect(ShardAssignment.assign(costs: costs, count: 1) == ["a.py": 1, "b.py": 1, "c.py": 1])
        #expect(ShardAssignment.assign(costs: [:], count: 4).isEmpty)
    }

    @Test func moreShardsThanFiles() {
        let costs = ["a.py": 1, "b.py": 4, "c.py": 2]
        let assignment = ShardAssignment.assign(costs: costs, count: 10)
        #expect(Set(assignment.keys) == Set(costs.keys))
        #expect(assignment.values.allSatisfy { (1...10).contains($0) })
        // cap = ⌊7 / 10⌋ + 4: b stays alone, a and c may share a shard.
        #expect(Self.loads(assignment, costs, count: 10).max()! <= 4)
    }

    // MARK: A plan cut to one shard

    static func plan() -> FixPlan {
        let blob = ObjectID(hex: String(repeating: "b", count: 40))!
        var generator = SeededGenerator(state: 5)
        let jobs = (0..<40).map { index in
            let path = "src/module_\(index).py"
            let diagnostics = (0..<Int.random(in: 1...6, using: &generator)).map {
                Diagnostic(tool: "ruff", path: path, line: $0 + 1, column: 1, code: "F401", message: "unused")
            }
            return FileJob(path: path, baseBlob: blob, diagnostics: diagnostics, key: IdempotencyKey(stored: "ik:\(index)"))
        }
        let skipped = (0..<12).map { index in
            var outcome = FileOutcome.skipped("lib/skipped_\(index).py", "uncommitted changes", diagnostics: 2)
            if index.isMultiple(of: 3) { outcome.status = .needsAgent }
            return outcome
        }
        let excluded = Dictionary(uniqueKeysWithValues: (0..<5).map { ("extra/file_\($0).py", "--max-files 40") })
        return FixPlan(
            runID: "run-20260101-000000-00000000", branch: "main", base: ObjectID(hex: String(repeating: "a", count: 40))!,
            jobs: jobs, skipped: skipped, toolVersions: ["ruff": "0.1"], excluded: excluded)
    }

    @Test(arguments: 1...5) func shardsPartitionThePlan(count: Int) throws {
        let whole = Self.plan()
        let shards = try (1...count).map { whole.shard(try ShardSpec(index: $0, count: count)) }
        let jobPaths = shards.flatMap { $0.jobs.map(\.path) }
        #expect(jobPaths.count == Set(jobPaths).count, "a job in two shards")
        #expect(Set(shards.flatMap(\.jobs)) == Set(whole.jobs))
        let skippedPaths = shards.flatMap { $0.skipped.map(\.path) }
        #expect(skippedPaths.sorted() == whole.skipped.map(\.path).sorted(), "every skipped file in exactly one shard")
        let excludedPaths = shards.flatMap(\.excluded.keys)
        #expect(excludedPaths.sorted() == whole.excluded.keys.sorted())
        let everything = Set(whole.jobs.map(\.path) + whole.skipped.map(\.path) + whole.excluded.keys)
        for (offset, shard) in shards.enumerated() {
            let own = Set(shard.jobs.map(\.path) + shard.skipped.map(\.path) + shard.excluded.keys)
            #expect(shard.shardSpec == (try ShardSpec(index: offset + 1, count: count)))
            #expect(own.isDisjoint(with: shard.otherShards.keys))
            #expect(own.union(shard.otherShards.keys) == everything)
            #expect(shard.otherShards.values.allSatisfy { $0 != offset + 1 && (1...count).contains($0) })
            // The plan's order is kept, and the rest of the plan is the whole plan's.
            #expect(shard.jobs == whole.jobs.filter { shard.jobs.contains($0) })
            #expect(shard.runID == whole.runID && shard.base == whole.base && shard.toolVersions == whole.toolVersions)
        }
        #expect(whole.shardSpec == nil && whole.otherShards.isEmpty)
    }

    @Test func jobsAreBalancedByDiagnostics() throws {
        let whole = Self.plan()
        let total = whole.jobs.map(\.diagnostics.count).reduce(0, +)
        let biggest = whole.jobs.map(\.diagnostics.count).max()!
        for index in 1...4 {
            let shard = whole.shard(try ShardSpec(index: index, count: 4))
            let load = shard.jobs.map(\.diagnostics.count).reduce(0, +)
            #expect(load * 4 <= total + biggest * 4, "shard \(index): \(load) of \(total)")
        }
    }
}
