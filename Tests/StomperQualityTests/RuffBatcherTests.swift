import Foundation
@testable import StomperQuality
import StomperTestSupport
import Testing

/// `linters.ruff.batch`: requests that wait together are linted by one `ruff check`, and each gets
/// exactly what a process of its own gives it (real ruff).
@Suite(.tags(.e2e)) struct RuffBatcherTests {
    /// Worktree-like roots side by side, each with its own configuration at its top, chosen so a
    /// root's settings leaking into another would show: other rules, a line length, a nested
    /// configuration that extends the root's, a forced exclusion, first-party imports by `src`,
    /// a file ruff cannot read.
    static let roots: [String: [String: String]] = [
        "r0": [
            "pyproject.toml": "[tool.ruff.lint]\nselect = [\"F401\"]\n", "a.py": "import os\nx = 'a very long line that E501 would flag at twenty'\n",
        ],
        "r1": [
            "ruff.toml": "line-length = 20\n[lint]\nselect = [\"E501\"]\n",
            "a.py": "import os\nx = 'a very long line that E501 would flag at twenty'\n",
        ],
        "r2": [
            "pyproject.toml": "[tool.ruff.lint]\nselect = [\"F\"]\n",
            "sub/ruff.toml": "extend = \"../pyproject.toml\"\n[lint]\nextend-select = [\"E711\"]\n",
            "a.py": "import sys\n", "sub/b.py": "import sys\nprint(sys == None)\n",
        ],
        "r3": [
            ".ruff.toml": "extend-exclude = [\"gen\"]\n[lint]\nselect = [\"F\"]\n[lint.per-file-ignores]\n\"keep.py\" = [\"F401\"]\n",
            "gen/x.py": "import os\n", "keep.py": "import os\n", "a.py": "import json\n",
        ],
        "r4": [
            "pyproject.toml": "[tool.ruff]\nsrc = [\"src\"]\n[tool.ruff.lint]\nselect = [\"I\"]\n",
            "src/app/__init__.py": "", "src/app/m.py": "import requests\nfrom app import x\nimport os\n\nprint(requests, x, os)\n",
        ],
        "r5": ["pyproject.toml": "[tool.ruff.lint]\nselect = [\"F\"]\n", "a.py": "import os\n"],
    ]
    static let requests: [(root: String, paths: [String])] = [
        ("r0", ["a.py"]), ("r1", ["a.py"]), ("r2", ["a.py", "sub/b.py"]), ("r3", ["gen/x.py", "keep.py", "a.py"]),
        ("r4", ["src/app/m.py"]), ("r5", ["a.py", "bad.py"]),
    ]

    static func make(_ dir: String, broken: Bool = false) throws -> String {
        let parent = dir + "/worktrees"
        var roots = Self.roots
        if broken { roots["r6"] = ["pyproject.toml": "[tool.ruff.lint]\nselect = 3\n", "a.py": "import os\n"] }
        for (root, files) in roots {
            for (path, text) in files {
                let full = parent + "/" + root + "/" + path
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: URL(fileURLWithPath: full))
            }
        }
        // Not UTF-8: ruff reports it only on stderr.
        try Data([0x78, 0x20, 0x3d, 0x20, 0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: parent + "/r5/bad.py"))
        return parent
    }

    /// What each request gives alone, and through the batcher with all of them waiting together
    /// (one process): the same, finding for finding.
    @Test func oneProcessForRequestsWaitingTogetherWithTheSameDiagnosticsAsAlone() async throws {
        try await withTemporaryDirectory { dir in
            let parent = try Self.make(dir)
            let alone = RuffLinter()
            var expected: [String: [Diagnostic]] = [:]
            for request in Self.requests {
                expected[request.root] = try await alone.lint(paths: request.paths, root: parent + "/" + request.root).sorted()
            }
            #expect(expected.values.allSatisfy { !$0.isEmpty })
            #expect(expected["r5"]?.contains { $0.code == "E902" && $0.path == "bad.py" } == true)
            #expect(expected["r3"]?.contains { $0.path.hasPrefix("gen/") } == false)
            let batcher = RuffBatcher()
            let batched = RuffLinter(batcher: batcher)
            await batcher.pause()
            let found = try await withThrowingTaskGroup(of: (String, [Diagnostic]).self) { group in
                for request in Self.requests {
                    group.addTask { (request.root, try await batched.lint(paths: request.paths, root: parent + "/" + request.root).sorted()) }
                }
                try await waitUntil("every request waits for the batch") { await batcher.waiting == Self.requests.count }
                await batcher.resume(batched)
                var found: [String: [Diagnostic]] = [:]
                for try await (root, diagnostics) in group { found[root] = diagnostics }
                return found
            }
            #expect(found == expected)
            #expect(await batcher.processes == 1)
            #expect(await batcher.requests == Self.requests.count)
            // Unpaused, concurrent requests are served too, in fewer processes than requests.
            let again = try await withThrowingTaskGroup(of: (String, [Diagnostic]).self) { group in
                for request in Self.requests {
                    group.addTask { (request.root, try await batched.lint(paths: request.paths, root: parent + "/" + request.root).sorted()) }
                }
                var found: [String: [Diagnostic]] = [:]
                for try await (root, diagnostics) in group { found[root] = diagnostics }
                return found
            }
            #expect(again == expected)
        }
    }

    /// A root whose configuration ruff rejects fails the whole process; every request is then
    /// linted alone: the broken one gets ruff's error, the others their own findings. A root
    /// without a configuration of its own is never batched.
    @Test func aFailedBatchIsLintedAloneAndRootsWithoutConfigurationAreNotBatched() async throws {
        try await withTemporaryDirectory { dir in
            let parent = try Self.make(dir, broken: true)
            let batcher = RuffBatcher()
            let batched = RuffLinter(batcher: batcher)
            await batcher.pause()
            let requests = Self.requests + [("r6", ["a.py"])]
            let results = await withTaskGroup(of: (String, Result<[Diagnostic], any Error>).self) { group in
                for request in requests {
                    group.addTask {
                        do {
                            return (request.root, .success(try await batched.lint(paths: request.paths, root: parent + "/" + request.root).sorted()))
                        } catch {
                            return (request.root, .failure(error))
                        }
                    }
                }
                try? await waitUntil("every request waits for the batch") { await batcher.waiting == requests.count }
                await batcher.resume(batched)
                var results: [String: Result<[Diagnostic], any Error>] = [:]
                for await (root, result) in group { results[root] = result }
                return results
            }
            let alone = RuffLinter()
            for request in Self.requests {
                let expected = try await alone.lint(paths: request.paths, root: parent + "/" + request.root).sorted()
                #expect((try? results[request.root]?.get()) == expected, "\(request.root)")
            }
            guard case .failure(let error)? = results["r6"] else {
                Issue.record("the root with a broken configuration was linted: \(String(describing: results["r6"]))")
                return
            }
            #expect((error as? QualityError)?.code == .toolFailed)
            // No configuration at the root: straight to a process of its own.
            try FileManager.default.createDirectory(atPath: parent + "/plain", withIntermediateDirectories: true)
            try Data("import os\n".utf8).write(to: URL(fileURLWithPath: parent + "/plain/a.py"))
            let before = await batcher.requests
            #expect(try await batched.lint(paths: ["a.py"], root: parent + "/plain").map(\.code) == ["F401"])
            #expect(await batcher.requests == before)
        }
    }
}
