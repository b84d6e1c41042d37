import Foundation
@testable import StomperCore
@testable import StomperGit
import StomperQuality
import StomperTestSupport
import Testing

/// What a sparse worktree holds (`SparseSelection`), and that ruff finds the same in it as in a
/// full worktree, with every rule on.
@Suite(.tags(.e2e)) struct SparseSelectionTests {
    /// A project that makes ruff look at the file system: two first-party packages under `src`
    /// (told from third-party ones only by their folders and modules), a top-level module, a
    /// folder without `__init__.py` (INP001), a sub-project whose `ruff.toml` extends the root's
    /// configuration from a folder of its own, and a configured `src` root.
    static let files: [String: String] = [
        "pyproject.toml": """
        [project]
        name = "demo"
        requires-python = ">=3.9"

        [tool.ruff]
        src = ["src", "lib"]

        [tool.ruff.lint]
        select = ["ALL"]
        ignore = ["D203", "D213", "COM812"]

        """,
        ".gitignore": "*.log\n",
        "helpers.py": "\"\"\"Helpers.\"\"\"\n\nVALUE = 1\n",
        "lib/vendored.py": "\"\"\"Vendored.\"\"\"\n\nTHING = 2\n",
        "src/alpha/__init__.py": "\"\"\"Alpha.\"\"\"\n",
        "src/alpha/core.py": """
        import os
        import sys
        from beta.sub import thing
        import requests
        import helpers
        import vendored
        from . import util


        def run(x):
            print(os.sep, sys.argv, thing, requests, helpers.VALUE, vendored.THING, util)
            return x == None

        """,
        "src/alpha/util.py": "\"\"\"Util.\"\"\"\n",
        "src/beta/__init__.py": "",
        "src/beta/sub.py": "import alpha\nimport json\nthing = alpha, json\n",
        "scripts/loose.py": "import alpha.core\nprint(alpha.core)\n",
        "sub/ruff.toml": "extend = \"../configs/shared.toml\"\n",
        "configs/shared.toml": "[lint]\nselect = [\"I\", \"F\", \"E\"]\n",
        "sub/tool.py": "import sys\nimport os\nfrom alpha import core\nprint(sys, os, core)\n",
        "unrelated/big.py": "x = 1\n",
    ]

    @Test func theSelectionHoldsTheConfigurationAndTheImportedModules() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            let tree = try await pool.sparseTree(at: base)
            let selection = SparseSelection()
            #expect(
                selection.paths(for: "src/alpha/core.py", in: tree)
                    == [
                        "src/alpha/core.py", "pyproject.toml", ".gitignore", "src/alpha/__init__.py", "src/beta/__init__.py",
                        "src/beta/sub.py", "helpers.py", "lib/vendored.py",
                    ])
            // `extend` is followed from the sub-project's folder; `from alpha import core` names `alpha`.
            #expect(
                selection.paths(for: "sub/tool.py", in: tree)
                    == ["sub/tool.py", "sub/ruff.toml", "configs/shared.toml", "pyproject.toml", ".gitignore", "src/alpha/__init__.py"])
            #expect(selection.paths(for: "missing.py", in: tree) == nil)
            await pool.close()
        }
    }

    @Test func importsAreReadFromEveryKindOfStatement() {
        let source = """
            import os, sys as system
            import a.b.c as d
            from e.f import (g,
                h)
            from . import local
            from .sibling import x
                from indented import y
            # import commented
            text = "from the docs"
            """
        #expect(
            SparseSelection.importedModules(source) == ["os", "sys", "a.b.c", "e.f", "indented"])
        #expect(SparseSelection.resolve("../configs/x.toml", in: "sub") == "configs/x.toml")
        #expect(SparseSelection.resolve("../../x.toml", in: "sub") == nil)
        #expect(SparseSelection.resolve("/etc/x.toml", in: "") == nil)
        #expect(SparseSelection.folders(above: "a/b/c.py") == ["", "a", "a/b"])
    }

    /// Every Python file linted with every rule in its sparse worktree gives exactly what it gives
    /// in a full one. The control: a worktree holding the file alone does not (first-party imports
    /// look third-party, a package looks like a namespace), so the comparison can fail.
    @Test func ruffFindsTheSameInASparseWorktreeAsInAFullOne() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: Self.files)
            let repository = try GitRepository.discover(from: fixture.root)
            let base = ObjectID(hex: try await fixture.head())!
            let pool = WorktreePool(repository: repository, capacity: 1)
            let ruff = RuffLinter()
            let files = Self.files.keys.filter { $0.hasSuffix(".py") }.sorted()
            let full = try await pool.withWorktree(at: base) { worktree in
                var found: [String: [Diagnostic]] = [:]
                for file in files { found[file] = try await ruff.lint(paths: [file], root: worktree.path) }
                return found
            }
            var differencesWithTheFileAlone = 0
            for file in files {
                let selection = SparseSelection()
                let sparse = try await pool.withWorktree(at: base, sparse: { selection.paths(for: file, in: $0) }) { worktree in
                    #expect(worktree.sparsePaths != nil)
                    return try await ruff.lint(paths: [file], root: worktree.path)
                }
                #expect(sparse == full[file], "\(file)")
                let alone = try await pool.withWorktree(at: base, sparse: { _ in [file] }) { worktree in
                    try await ruff.lint(paths: [file], root: worktree.path)
                }
                if alone != full[file] { differencesWithTheFileAlone += 1 }
            }
            #expect(full.values.allSatisfy { !$0.isEmpty })
            #expect(differencesWithTheFileAlone >= 3)
            await pool.close()
        }
    }
}
