import Foundation
@testable import StomperQuality
import StomperTestSupport
import Testing

/// The shared cache must never change what mypy reports: every check through `MypyCache` is
/// compared with a cold run (`--cache-dir=/dev/null`) of the same file in the same tree.
@Suite(.tags(.unit, .slow)) struct MypyCacheTests {
    /// A strict package where `m2` uses `m1`'s interface and `m3` uses `m2`'s.
    static let files: [String: String] = [
        "pyproject.toml": "[tool.mypy]\nstrict = true\n",
        "pkg/__init__.py": "",
        "pkg/m1.py": "def size(name: str) -> int:\n    return len(name)\n",
        "pkg/m2.py": "from pkg.m1 import size\n\n\ndef double(name: str) -> int:\n    return size(name) * 2\n",
        "pkg/m3.py": "from pkg.m2 import double\n\n\ndef label(name: str) -> str:\n    return str(double(name))\n\n\nbad: int = \"x\"\n",
    ]

    /// Planning lints the main tree (the seed); worktrees then change files one job after another,
    /// including an interface change that must reach a module that was not edited.
    @Test func worktreeChecksThroughTheSeededCacheEqualColdRuns() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let cache = MypyCache(folder: dir + "/cache", seedRoot: fixture.root)
            let cached = MypyLinter(cache: cache)
            let cold = MypyLinter()
            let planned = try await cached.lint(paths: ["pkg"], root: fixture.root)
            #expect(planned == (try await cold.lint(paths: ["pkg"], root: fixture.root)))
            #expect(planned.map(\.code) == ["assignment"])
            #expect(FileManager.default.fileExists(atPath: dir + "/cache/main"))

            let worktree = dir + "/wt"
            _ = try await fixture.git("worktree", "add", "--detach", worktree)
            let edits: [(path: String, content: String)] = [
                // Fixes m3's error: the interface of nothing else changes.
                ("pkg/m3.py", "from pkg.m2 import double\n\n\ndef label(name: str) -> str:\n    return str(double(name))\n"),
                // m1 now returns str: m2 (not edited) must report it although its own source is unchanged.
                ("pkg/m1.py", "def size(name: str) -> str:\n    return name\n"),
                // Back as it was: m2 is clean again.
                ("pkg/m1.py", "def size(name: str) -> int:\n    return len(name)\n"),
            ]
            var reports: [[Diagnostic]] = []
            for edit in edits {
                try Data(edit.content.utf8).write(to: URL(fileURLWithPath: worktree + "/" + edit.path))
                for path in ["pkg/m1.py", "pkg/m2.py", "pkg/m3.py"] {
                    let warm = try await cached.lint(paths: [path], root: worktree)
                    #expect(warm == (try await cold.lint(paths: [path], root: worktree)), "\(path) after editing \(edit.path)")
                    reports.append(warm)
                }
            }
            #expect(reports[4].map(\.code) == ["return-value"] || reports[4].map(\.code) == ["operator"])
            #expect(reports[7].isEmpty)
            #expect(FileManager.default.fileExists(atPath: cache.directory(for: worktree)))
            #expect(cache.directory(for: worktree) != cache.directory(for: fixture.root))
            // Nothing is written into either tree.
            #expect(try await fixture.git("status", "--porcelain", "--ignored").isEmpty)
        }
    }

    /// One file's check reports that file's diagnostics, not those of the modules it imports,
    /// with or without a cache.
    @Test func oneFileKeepsOnlyItsOwnDiagnostics() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let cache = MypyCache(folder: dir + "/cache", seedRoot: fixture.root)
            for linter in [MypyLinter(), MypyLinter(cache: cache)] {
                #expect(try await linter.lint(paths: ["pkg/m2.py"], root: fixture.root).isEmpty)
                #expect(try await linter.lint(paths: ["pkg/m3.py"], root: fixture.root).map(\.path) == ["pkg/m3.py"])
            }
        }
    }

    /// A worktree's cache is removed once its worktree is gone, when another worktree's is made.
    @Test func cachesOfRemovedWorktreesArePruned() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let cache = MypyCache(folder: dir + "/cache", seedRoot: fixture.root)
            let linter = MypyLinter(cache: cache)
            _ = try await linter.lint(paths: ["pkg"], root: fixture.root)
            _ = try await fixture.git("worktree", "add", "--detach", dir + "/a")
            _ = try await linter.lint(paths: ["pkg/m1.py"], root: dir + "/a")
            #expect(FileManager.default.fileExists(atPath: cache.directory(for: dir + "/a")))
            _ = try await fixture.git("worktree", "remove", "--force", dir + "/a")
            _ = try await fixture.git("worktree", "add", "--detach", dir + "/b")
            _ = try await linter.lint(paths: ["pkg/m1.py"], root: dir + "/b")
            #expect(!FileManager.default.fileExists(atPath: cache.directory(for: dir + "/a")))
            #expect(FileManager.default.fileExists(atPath: cache.directory(for: dir + "/b")))
            #expect(FileManager.default.fileExists(atPath: cache.directory(for: fixture.root)))
        }
    }
}
