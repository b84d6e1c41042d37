import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `stomper fix --shard I/N --bundle DIR` in separate clones (standing in for CI machines) and
/// `stomper land` in another (docs/SCALE.md).
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct ShardLandEndToEndTests {
    /// A clone of `repo` at `path`, with an identity to commit as.
    static func clone(_ repo: PythonRepository, to path: String) async throws -> PythonRepository {
        try await GitFixture(root: (path as NSString).deletingLastPathComponent).git("clone", "-q", repo.root, path)
        let fixture = GitFixture(root: path)
        try await fixture.git("config", "user.name", "Lander")
        try await fixture.git("config", "user.email", "lander@example.com")
        return PythonRepository(fixture: fixture)
    }

    static func manifest(_ directory: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func fixes(_ manifest: [String: Any]) -> [[String: Any]] {
        manifest["fixes"] as? [[String: Any]] ?? []
    }

    /// Every `Stomper-Key` trailer on the branch since `base`, oldest first.
    static func keys(_ repo: PythonRepository, since base: String, branch: String = "HEAD") async throws -> [String] {
        try await repo.fixture.git("log", "--reverse", "--format=%(trailers:key=Stomper-Key,valueonly)", "\(base)..\(branch)")
            .split(separator: "\n").map(String.init)
    }

    static func tree(_ repo: PythonRepository, _ revision: String = "HEAD") async throws -> String {
        try await repo.fixture.git("rev-parse", "\(revision)^{tree}").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs shard `index` of `count` in its own clone and returns its bundle folder.
    static func shard(_ repo: PythonRepository, _ index: Int, of count: Int, in dir: String) async throws -> String {
        let clone = try await clone(repo, to: dir + "/shard-\(index)")
        let out = dir + "/bundles/shard-\(index)"
        let result = try await clone.stomper("fix", "--shard", "\(index)/\(count)", "--bundle", out, "--json")
        // 1 when the shard's part holds a file that needs an agent: reported, not a failure to bundle.
        #expect(result.exitCode == 0 || result.exitCode == 1, "shard \(index): \(result.stderrText)")
        #expect(FileManager.default.fileExists(atPath: out + "/manifest.json"), "shard \(index): \(result.stderrText)")
        // The checkout is untouched: the fixes went onto the shard's own branch.
        #expect(try await clone.fixture.git("rev-parse", "HEAD") == repo.fixture.git("rev-parse", "HEAD"))
        #expect(try await clone.status().isEmpty)
        return out
    }

    /// Three shards in three clones, landed in a fourth, give what one machine gives: the same
    /// files fixed, the same final tree; the shards are disjoint; landing again lands nothing.
    @Test func threeShardsLandedInAFourthCloneEqualOneMachinesRun() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 7, unfixable: 1)
            let base = try await repo.fixture.head()

            let single = try await Self.clone(repo, to: dir + "/single")
            let alone = try await single.stomper("fix", "--json")
            #expect(alone.exitCode == 1, "\(alone.stderrText)")  // the unfixable file needs an agent

            var bundles: [String] = []
            for index in 1...3 { bundles.append(try await Self.shard(repo, index, of: 3, in: dir)) }
            let manifests = try bundles.map(Self.manifest)
            let shardPaths = manifests.map { Set(Self.fixes($0).compactMap { $0["path"] as? String }) }
            #expect(manifests.map { $0["shard"] as? String } == ["1/3", "2/3", "3/3"])
            #expect(manifests.allSatisfy { $0["base"] as? String == base })
            #expect(shardPaths.allSatisfy { !$0.isEmpty }, "every shard got work: \(shardPaths)")
            #expect(shardPaths[0].isDisjoint(with: shardPaths[1]) && shardPaths[0].isDisjoint(with: shardPaths[2]))
            #expect(shardPaths[1].isDisjoint(with: shardPaths[2]))
            let union = shardPaths.reduce(Set<String>()) { $0.union($1) }
            let singleFixed = Set(
                try await single.fixture.git("diff", "--name-only", "\(base)..HEAD").split(separator: "\n").map(String.init))
            #expect(union == singleFixed)
            // `check --shard` shows each shard the files it took.
            for (index, paths) in shardPaths.enumerated() {
                let check = try await repo.stomper("check", "--shard", "\(index + 1)/3", "--json")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(check.standardOutput)) as? [String: Any])
                let files = (object["files"] as? [[String: Any]] ?? []).filter { $0["verdict"] as? String != "needs_agent" }
                #expect(Set(files.compactMap { $0["path"] as? String }) == paths, "\(check.stdoutText)")
            }

            let lander = try await Self.clone(repo, to: dir + "/lander")
            let landed = try await lander.stomper(["land", "--json"] + bundles)
            #expect(landed.exitCode == 0, "\(landed.stderrText)")
            #expect(try await Self.tree(lander) == Self.tree(single))
            let keys = try await Self.keys(lander, since: base)
            let shardKeys = manifests.flatMap { Self.fixes($0).compactMap { $0["key"] as? String } }
            #expect(Set(keys) == Set(shardKeys) && keys.count == shardKeys.count)
            #expect(try await lander.status().isEmpty)

            let again = try await lander.stomper(["land"] + bundles)
            #expect(again.exitCode == 0, "\(again.stderrText)")
            #expect(again.stdoutText.contains("\(shardKeys.count) already on main"), "\(again.stdoutText)")
            #expect(try await Self.keys(lander, since: base) == keys)
        }
    }

    /// A file the branch changed after the shards' base: merged three ways when the changes do
    /// not overlap (and re-verified: the tip's own diagnostics gone, nothing new), reported and
    /// left as the branch has it when they do.
    @Test func aChangedFileIsMergedAndAConflictingOneIsLeft() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            let out = try await Self.shard(repo, 1, of: 1, in: dir)
            #expect(Self.fixes(try Self.manifest(out)).count == 2)

            let lander = try await Self.clone(repo, to: dir + "/lander")
            let merged = "src/pkg/fixable_0.py", conflicting = "src/pkg/fixable_1.py"
            let appended = PythonSamples.fixable(0) + "\n\ndef added_on_the_branch() -> int:\n    return 1\n"
            try appended.write(toFile: lander.root + "/" + merged, atomically: true, encoding: .utf8)
            let clashing = PythonSamples.fixable(1).replacingOccurrences(of: "label = f\"total\"", with: "label = f\"sum\"")
            try clashing.write(toFile: lander.root + "/" + conflicting, atomically: true, encoding: .utf8)
            try await lander.fixture.git("commit", "-qam", "work on the branch after the shards started")
            let tip = try await lander.fixture.head()

            let landed = try await lander.stomper("land", out)
            #expect(landed.exitCode == 1, "a fix left is not all fixed: \(landed.stdoutText) \(landed.stderrText)")
            #expect(landed.stdoutText.contains("1 merged three ways"), "\(landed.stdoutText)")
            #expect(landed.stdoutText.contains("conflict: \(conflicting)"), "\(landed.stdoutText)")
            let result = try String(contentsOfFile: lander.root + "/" + merged, encoding: .utf8)
            #expect(result == PythonSamples.fixed(0) + "\n\ndef added_on_the_branch() -> int:\n    return 1\n")
            #expect(try String(contentsOfFile: lander.root + "/" + conflicting, encoding: .utf8) == clashing)
            #expect(try await lander.fixture.git("diff", "--name-only", "\(tip)..HEAD") == merged + "\n")
            #expect(try await lander.ruffIsClean() == false)
            #expect(try await lander.status().isEmpty)
        }
    }

    /// A lander killed inside a landing, at each point, then run again: every fix lands exactly once.
    @Test(arguments: ["land.before:2", "land.checkout:2", "land.after:2"])
    func aKilledLanderRunAgainLandsEveryFixExactlyOnce(failpoint: String) async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 4)
            let base = try await repo.fixture.head()
            let bundles = [try await Self.shard(repo, 1, of: 2, in: dir), try await Self.shard(repo, 2, of: 2, in: dir)]
            let expected = try bundles.flatMap { Self.fixes(try Self.manifest($0)).compactMap { $0["key"] as? String } }
            #expect(expected.count == 4)

            let lander = try await Self.clone(repo, to: dir + "/lander")
            let killed = try await lander.stomper(["land", "-p", "1"] + bundles, environment: ["STOMPER_FAILPOINT": failpoint])
            #expect(killed.termination == .signaled(SIGKILL))
            let resumed = try await lander.stomper("resume")
            #expect(resumed.exitCode == 2)
            #expect(resumed.stderrText.contains("is a stomper land: run `stomper land` with the same bundles again"), "\(resumed.stderrText)")
            let again = try await lander.stomper(["land", "--json"] + bundles)
            #expect(again.exitCode == 0, "\(again.stderrText)")
            #expect(again.stderrText.contains("took over the unfinished land"), "\(again.stderrText)")
            let keys = try await Self.keys(lander, since: base)
            #expect(keys.sorted() == expected.sorted(), "every fix exactly once: \(keys)")
            #expect(try await lander.status().isEmpty)
            #expect(try await lander.ruffIsClean())
            #expect(try await lander.fixture.git("fsck", "--no-progress", "--no-dangling").isEmpty)
        }
    }

    /// The shards' learning merges into the lander's ledger whatever the order of the bundles.
    @Test func bundlesLandedInEitherOrderGiveTheSameLearningStatistics() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 4)
            let bundles = [try await Self.shard(repo, 1, of: 2, in: dir), try await Self.shard(repo, 2, of: 2, in: dir)]
            var figures: [String] = []
            for (name, order) in [("forward", bundles), ("backward", Array(bundles.reversed()))] {
                let lander = try await Self.clone(repo, to: dir + "/lander-" + name)
                let landed = try await lander.stomper(["land"] + order)
                #expect(landed.exitCode == 0, "\(landed.stderrText)")
                #expect(landed.stdoutText.contains("learning attempts merged"), "\(landed.stdoutText)")
                let stats = try await lander.stomper("stats", "--learning", "--json")
                #expect(stats.exitCode == 0, "\(stats.stderrText)")
                figures.append(stats.stdoutText)
            }
            #expect(figures[0] == figures[1])
            #expect(figures[0].contains("F401"), "\(figures[0])")
        }
    }

    /// A shard killed mid-run and resumed writes the bundle an uninterrupted shard writes: the
    /// same fixes under the same keys.
    @Test func aKilledShardResumedWritesTheSameBundle() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 4)
            let reference = Self.fixes(try Self.manifest(try await Self.shard(repo, 1, of: 2, in: dir)))

            let clone = try await Self.clone(repo, to: dir + "/killed")
            let out = dir + "/bundles/killed"
            let killed = try await clone.stomper(
                "fix", "-p", "1", "--shard", "1/2", "--bundle", out, environment: ["STOMPER_FAILPOINT": "land.after:1"])
            #expect(killed.termination == .signaled(SIGKILL))
            #expect(!FileManager.default.fileExists(atPath: out + "/manifest.json"))
            let resumed = try await clone.stomper("resume")
            #expect(resumed.exitCode == 0, "\(resumed.stderrText)")
            let fixes = Self.fixes(try Self.manifest(out))
            #expect(fixes.compactMap { $0["key"] as? String } == reference.compactMap { $0["key"] as? String })
            #expect(fixes.compactMap { $0["blob"] as? String } == reference.compactMap { $0["blob"] as? String })
        }
    }

    /// Bad bundles are refused before anything lands, naming the file and what to do.
    @Test func aTamperedOrIncompleteBundleIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            let out = try await Self.shard(repo, 1, of: 1, in: dir)
            let lander = try await Self.clone(repo, to: dir + "/lander")
            let before = try await lander.commitCount()

            var bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/stomper.bundle"))
            bytes[bytes.count - 30] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: dir + "/stomper.bundle.bad"))
            try FileManager.default.copyItem(atPath: out, toPath: dir + "/tampered")
            try FileManager.default.removeItem(atPath: dir + "/tampered/stomper.bundle")
            try FileManager.default.copyItem(atPath: dir + "/stomper.bundle.bad", toPath: dir + "/tampered/stomper.bundle")
            let tampered = try await lander.stomper("land", dir + "/tampered")
            #expect(tampered.exitCode == 2)
            #expect(tampered.stderrText.contains("stomper.bundle does not match its SHA-256"), "\(tampered.stderrText)")

            try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
            let empty = try await lander.stomper("land", dir + "/empty")
            #expect(empty.exitCode == 2)
            #expect(empty.stderrText.contains("holds no manifest.json"), "\(empty.stderrText)")

            let missing = try await lander.stomper("land", dir + "/nowhere")
            #expect(missing.exitCode == 2)
            #expect(missing.stderrText.contains("no such shard bundle: \(dir)/nowhere"), "\(missing.stderrText)")

            let refused = try await repo.stomper("fix", "--dry-run", "--bundle", dir + "/dry")
            #expect(refused.exitCode == 2)
            #expect(refused.stderrText.contains("--bundle"), "\(refused.stderrText)")
            #expect(try await lander.commitCount() == before)
        }
    }
}
