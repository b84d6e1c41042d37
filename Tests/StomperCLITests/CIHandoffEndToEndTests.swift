import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `stomper fix --patches DIR` and `stomper cache export|import`: what an untrusted CI job hands
/// to a trusted one, and what one job leaves the next (docs/CI.md).
@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct PatchHandoffTests {
    /// The patches of a run, applied with `git am` in a second clone of the base, give exactly the
    /// tree of the fixing repository's tip, with the Stomper trailers in every applied commit.
    @Test func gitAmOfThePatchesInAnotherCloneGivesTheSameTree() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let base = try await repo.fixture.head()
            let other = GitFixture(root: dir + "/other")
            try await GitFixture(root: dir).git("clone", "-q", repo.root, other.root)
            try await other.git("config", "user.name", "Trusted Job")
            try await other.git("config", "user.email", "trusted@example.com")

            let fix = try await repo.stomper("fix", "--json", "--patches", dir + "/out")
            #expect(fix.exitCode == 0, "\(fix.stderrText)")
            let runID = try #require(try repo.report(fix)["run_id"] as? String)
            let manifest = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))) as? [String: Any])
            #expect(manifest["format"] as? String == "stomper-patches")
            #expect(manifest["version"] as? Int == 1)
            #expect(manifest["run_id"] as? String == runID)
            #expect(manifest["base"] as? String == base)
            #expect(manifest["branch"] as? String == "main")
            #expect(manifest["contiguous"] as? Bool == true)
            let patches = try #require(manifest["patches"] as? [[String: Any]])
            #expect(patches.count == 3)
            // Branch order, oldest first, named as git names them.
            let landed = try await repo.fixture.git("rev-list", "--reverse", "\(base)..HEAD").split(separator: "\n").map(String.init)
            #expect(patches.map { $0["commit"] as? String } == landed)
            let names = patches.compactMap { $0["file"] as? String }
            #expect(
                names.enumerated().allSatisfy { $1.hasPrefix(String(format: "%04d-fix-ruff-src-pkg-fixable_", $0 + 1)) && $1.hasSuffix(".patch") })
            let onDisk = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.hasSuffix(".patch") }.sorted()
            #expect(onDisk == names)
            for patch in patches {
                let file = dir + "/out/" + (patch["file"] as? String ?? "")
                #expect(try await sha256(file) == patch["sha256"] as? String)
                #expect((patch["key"] as? String)?.hasPrefix("ik:") == true)
                #expect((patch["paths"] as? [String])?.count == 1)
            }

            try await other.git(["am", "-q", "--keep-cr"] + names.map { dir + "/out/" + $0 })
            let tipTree = try await repo.fixture.git("rev-parse", "HEAD^{tree}").trimmingCharacters(in: .whitespacesAndNewlines)
            let appliedTree = try await other.git("rev-parse", "HEAD^{tree}").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(appliedTree == tipTree)
            #expect(manifest["tree"] as? String == tipTree)
            let runs = try await other.git("log", "--format=%(trailers:key=Stomper-Run,valueonly)", "\(base)..HEAD")
            #expect(runs.split(separator: "\n").map(String.init) == [runID, runID, runID])
            let keys = try await other.git("log", "--reverse", "--format=%(trailers:key=Stomper-Key,valueonly)", "\(base)..HEAD")
            #expect(keys.split(separator: "\n").map(String.init) == patches.compactMap { $0["key"] as? String })
        }
    }

    /// The docs commit a run makes after its fixes is the last patch, with no key.
    @Test func theDocsCommitIsTheLastPatch() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let documented = try await repo.stomper("docgen", "src/pkg/fixable_0.py")
            #expect(documented.exitCode == 0, "\(documented.stderrText)")
            let base = try await repo.fixture.head()
            let other = GitFixture(root: dir + "/other")
            try await GitFixture(root: dir).git("clone", "-q", repo.root, other.root)
            try await other.git("config", "user.name", "Trusted Job")
            try await other.git("config", "user.email", "trusted@example.com")

            let fix = try await repo.stomper("fix", "--patches", dir + "/out", environment: ["STOMPER_DOCS_ENABLED": "true"])
            #expect(fix.exitCode == 0, "\(fix.stderrText)")
            let manifest = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))) as? [String: Any])
            let patches = try #require(manifest["patches"] as? [[String: Any]])
            let landed = try await repo.fixture.git("rev-list", "--reverse", "\(base)..HEAD").split(separator: "\n").map(String.init)
            #expect(landed.count == 2)
            #expect(patches.map { $0["commit"] as? String } == landed)
            #expect((patches.first?["key"] as? String)?.hasPrefix("ik:") == true)
            #expect(patches.last?["key"] is NSNull)
            #expect((patches.last?["paths"] as? [String])?.allSatisfy { $0.hasPrefix("docs/") } == true)
            try await other.git(["am", "-q", "--keep-cr"] + patches.compactMap { $0["file"] as? String }.map { dir + "/out/" + $0 })
            let tipTree = try await repo.fixture.git("rev-parse", "HEAD^{tree}")
            #expect(try await other.git("rev-parse", "HEAD^{tree}") == tipTree)
        }
    }

    /// A dry run lands nothing to export: exit 2 before any work, no folder made.
    @Test func aDryRunWithPatchesIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 1)
            let result = try await repo.stomper("fix", "--dry-run", "--patches", dir + "/out")
            #expect(result.exitCode == 2)
            #expect(result.stderrText.contains("--patches") && result.stderrText.contains("dry run"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
            #expect(try await repo.commitCount() == 1)
        }
    }

    /// Patches stomper did not write stop the run before it lands anything; an earlier export of
    /// stomper's own is replaced, never mixed with the new one.
    @Test func foreignPatchesAreRefusedAndAnEarlierExportIsReplaced() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
            try Data("not ours\n".utf8).write(to: URL(fileURLWithPath: dir + "/out/0001-mine.patch"))
            let refused = try await repo.stomper("fix", "--patches", dir + "/out")
            #expect(refused.exitCode == 2)
            #expect(refused.stderrText.contains(dir + "/out/0001-mine.patch"))
            #expect(try await repo.commitCount() == 1)

            try FileManager.default.removeItem(atPath: dir + "/out/0001-mine.patch")
            try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: dir + "/out/README"))
            let first = try await repo.stomper("fix", "--patches", dir + "/out")
            #expect(first.exitCode == 0, "\(first.stderrText)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.hasSuffix(".patch") }.count == 2)

            try repo.fixture.write(["src/pkg/later.py": PythonSamples.fixable(7)])
            try await repo.fixture.commitAll("later")
            let second = try await repo.stomper("fix", "--patches", dir + "/out")
            #expect(second.exitCode == 0, "\(second.stderrText)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").sorted()
            #expect(files.filter { $0.hasSuffix(".patch") }.count == 1)
            #expect(files.contains("README"))
            #expect(files.contains { $0.hasPrefix("0001-") && $0.contains("later.py") })
        }
    }
}

/// Lowercase hex SHA-256 of a file, by `sha256sum`.
func sha256(_ path: String) async throws -> String {
    let result = try await ProcessRunner.run(ProcessSpec(executable: "sha256sum", arguments: [path], timeout: .seconds(30)))
    return String(result.stdoutText.prefix(64))
}

@Suite(.tags(.e2e), .timeLimit(.minutes(10))) struct CacheHandoffTests {
    /// The cache a job exports (taken while another run records) makes the next job, in a fresh
    /// clone, land every fix from the cache without calling the agent.
    @Test func anImportedCacheIsReusedInAFreshClone() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 3)
            let fresh = GitFixture(root: dir + "/fresh")
            try await GitFixture(root: dir).git("clone", "-q", repo.root, fresh.root)
            let dry = try await repo.stomper("fix", "--dry-run", "--json")
            #expect(dry.exitCode == 0, "\(dry.stderrText)")

            // An export beside a run that is recording (a second dry run writes its run, jobs and
            // events while the export reads).
            async let running = repo.stomper("fix", "--dry-run", "--json")
            async let exporting = repo.stomper("cache", "export", "--json", dir + "/cache/cache.sqlite")
            let (run, export) = try await (running, exporting)
            #expect(run.exitCode == 0, "\(run.stderrText)")
            #expect(export.exitCode == 0, "\(export.stderrText)")
            let exported = try #require(try JSONSerialization.jsonObject(with: Data(export.standardOutput)) as? [String: Any])
            #expect(exported["fixes"] as? Int == 3)
            #expect(!FileManager.default.fileExists(atPath: dir + "/cache/cache.sqlite-wal"))
            let tables = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "sqlite3",
                    arguments: [dir + "/cache/cache.sqlite", "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"],
                    timeout: .seconds(30))
            ).stdoutText
            #expect(!tables.contains("run\n") && !tables.contains("event") && !tables.contains("receipt") && tables.contains("fix_cache"))

            let freshRepo = PythonRepository(fixture: fresh)
            let imported = try await freshRepo.stomper("cache", "import", "--json", dir + "/cache/cache.sqlite")
            #expect(imported.exitCode == 0, "\(imported.stderrText)")
            let counts = try #require(try JSONSerialization.jsonObject(with: Data(imported.standardOutput)) as? [String: Any])
            #expect(counts["fixes"] as? Int == 3)
            let again = try await freshRepo.stomper("cache", "import", "--json", dir + "/cache/cache.sqlite")
            let againCounts = try #require(try JSONSerialization.jsonObject(with: Data(again.standardOutput)) as? [String: Any])
            #expect(againCounts["fixes"] as? Int == 0 && againCounts["fixes_kept"] as? Int == 3 && againCounts["attempts"] as? Int == 0)

            let real = try await freshRepo.stomper("fix", "--json")
            #expect(real.exitCode == 0, "\(real.stderrText)")
            let report = try freshRepo.report(real)
            let outcomes = try freshRepo.outcomes(report)
            #expect(outcomes.count == 3)
            #expect(outcomes.values.allSatisfy { $0["status"] as? String == "fixed" && $0["agent_calls"] as? Int == 0 })
            let runID = try #require(report["run_id"] as? String)
            let events = try await freshRepo.stomper("tail", "--run", runID).stdoutText
            #expect(events.components(separatedBy: "\"type\":\"cache.hit\"").count - 1 == 3)
        }
    }

    /// A file that is not a stomper ledger, one of a newer schema, or none at all: exit 2 naming
    /// it, and the ledger keeps exactly what it had.
    @Test func aBadFileIsRefusedAndTheLedgerIsUntouched() async throws {
        try await withTemporaryDirectory { dir in
            let repo = try await PythonRepository.create(at: dir + "/repo", fixable: 2)
            _ = try await repo.stomper("fix", "--dry-run")
            let before = try await repo.stomper("cache", "export", "--json", dir + "/before.sqlite")
            #expect(before.exitCode == 0, "\(before.stderrText)")

            try Data("this is not a database\n".utf8).write(to: URL(fileURLWithPath: dir + "/text.sqlite"))
            try FileManager.default.copyItem(atPath: dir + "/before.sqlite", toPath: dir + "/newer.sqlite")
            let future = try await ProcessRunner.run(
                ProcessSpec(
                    executable: "sqlite3", arguments: [dir + "/newer.sqlite", "INSERT INTO grdb_migrations VALUES ('v99: from the future')"],
                    timeout: .seconds(30)))
            #expect(future.exitCode == 0)
            for (file, words) in [("text.sqlite", "not a stomper ledger"), ("newer.sqlite", "newer stomper"), ("missing.sqlite", "does not exist")] {
                let result = try await repo.stomper("cache", "import", dir + "/" + file)
                #expect(result.exitCode == 2, "\(file)")
                #expect(result.stderrText.contains(dir + "/" + file) && result.stderrText.contains(words), "\(result.stderrText)")
            }
            let after = try await repo.stomper("cache", "export", "--json", dir + "/after.sqlite")
            let dump = { (file: String) async throws -> String in
                try await ProcessRunner.run(
                    ProcessSpec(
                        executable: "sqlite3",
                        arguments: [
                            file,
                            "SELECT * FROM fix_cache ORDER BY key; SELECT * FROM attempt ORDER BY id; SELECT * FROM attempt_code ORDER BY attempt_id, code",
                        ],
                        timeout: .seconds(30))
                ).stdoutText
            }
            #expect(after.exitCode == 0)
            let original = try await dump(dir + "/before.sqlite")
            #expect(original.contains("ik:"))
            #expect(try await dump(dir + "/after.sqlite") == original)
        }
    }
}
