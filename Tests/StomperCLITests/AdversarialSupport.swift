import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// What the adversarial suite checks after every hostile run: a picture of everything a run may
/// not change, taken before it (or right after the user's own actions), and the checks that the
/// run kept its promises against it.
struct ContainmentSnapshot {
    /// Every entry of the decoy tree, the main repository's `.git/config`, `hooks/` and `info/`,
    /// and `objects/info`: path → what it is (type, mode, content or link target).
    var tree: [String: String]
    /// Every ref but the branch's, with its object; the stash and tags included.
    var refs: [String: String]
    /// The branch's tip: the run may only add commits on top of it.
    var tip: String
    var branch: String
    /// Worktrees that existed before (`git worktree list`).
    var worktrees: Set<String>

    static func take(repo: PythonRepository, decoy: String, branch: String = "main") async throws -> ContainmentSnapshot {
        var tree = try Self.describe(decoy, as: "decoy")
        let git = repo.root + "/.git"
        for item in ["config", "hooks", "info", "objects/info", "HEAD", "description"] {
            tree.merge(try Self.describe(git + "/" + item, as: ".git/" + item)) { $1 }
        }
        let refs = try await Self.refs(repo, except: branch)
        let tip = try await repo.fixture.git("rev-parse", "refs/heads/" + branch).trimmingCharacters(in: .whitespacesAndNewlines)
        return ContainmentSnapshot(tree: tree, refs: refs, tip: tip, branch: branch, worktrees: try await Self.worktrees(repo))
    }

    static func refs(_ repo: PythonRepository, except branch: String) async throws -> [String: String] {
        let lines = try await repo.fixture.git("for-each-ref", "--format=%(refname) %(objectname)").split(separator: "\n")
        var refs: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] != "refs/heads/" + branch { refs[String(parts[0])] = String(parts[1]) }
        }
        return refs
    }

    static func worktrees(_ repo: PythonRepository) async throws -> Set<String> {
        Set(
            try await repo.fixture.git("worktree", "list", "--porcelain").split(separator: "\n")
                .filter { $0.hasPrefix("worktree ") }.map(String.init))
    }

    /// Walks `path` without following links: one entry per file, folder and link.
    static func describe(_ path: String, as name: String) throws -> [String: String] {
        var info = stat()
        guard lstat(path, &info) == 0 else { return [name: "missing"] }
        let mode = String(info.st_mode & 0o7777, radix: 8)
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            return [name: "link \(mode) -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")]
        case S_IFDIR:
            var entries = [name: "dir \(mode)"]
            for child in try FileManager.default.contentsOfDirectory(atPath: path) {
                entries.merge(try describe(path + "/" + child, as: name + "/" + child)) { $1 }
            }
            return entries
        case S_IFREG:
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return [name: "file \(mode) nlink=\(info.st_nlink) \(data.base64EncodedString())"]
        default:
            return [name: "other \(info.st_mode)"]
        }
    }
}

/// The checks every adversarial case ends with.
enum Containment {
    /// Markers that silence ruff, mypy, pyright or pytest: none may reach the branch in a fix.
    static let suppressionMarkers = ["noqa", "type: ignore", "pyright:", "mypy:", "pytest.mark.skip", "pytest.skip", "ruff:", "flake8:"]

    /// Checks, after a run, that:
    /// - nothing outside the repository changed (the decoy tree), nor the main repository's
    ///   `.git/config`, `hooks/`, `info/`, `objects/info`, `HEAD`, nor any ref but the branch;
    /// - the branch only grew from the snapshot's tip (the user's commits intact), and each new
    ///   commit by stomper changes one file, to verified bytes: a regular non-executable file,
    ///   valid UTF-8, no CR, not emptied, no suppression, ruff clean;
    /// - `dirty` (path → content) are the working tree's only changes, and they are there;
    /// - `git fsck --strict` is clean; no worktree beyond the snapshot's; no lock file left.
    static func check(
        _ repo: PythonRepository, against before: ContainmentSnapshot, decoy: String, dirty: [String: String] = [:],
        userCommits: Set<String> = [], knownIssues: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let after = try await ContainmentSnapshot.take(repo: repo, decoy: decoy, branch: before.branch)
        for key in Set(before.tree.keys).union(after.tree.keys).sorted() where before.tree[key] != after.tree[key] {
            Issue.record(
                "changed outside the branch: \(key): \(before.tree[key]?.prefix(120) ?? "nil") → \(after.tree[key]?.prefix(120) ?? "nil")",
                sourceLocation: sourceLocation)
        }
        #expect(after.refs == before.refs, "refs other than \(before.branch) changed", sourceLocation: sourceLocation)
        #expect(
            after.worktrees == before.worktrees, "worktrees left: \(after.worktrees.subtracting(before.worktrees))",
            sourceLocation: sourceLocation)

        // The branch only grew; its new commits are stomper's, each one file of verified bytes.
        let git = repo.fixture
        /// A failure about `path`: a known issue if `knownIssues` names the path.
        func flag(_ failed: Bool, _ message: String, paths: [String]) {
            guard failed else { return }
            if let issue = paths.lazy.compactMap({ knownIssues[$0] }).first {
                withKnownIssue(Comment(rawValue: issue)) { Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation) }
            } else {
                Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
            }
        }
        let ancestry = try await ProcessRunner.run(
            ProcessSpec(
                executable: "git", arguments: ["merge-base", "--is-ancestor", before.tip, after.tip],
                workingDirectory: repo.root, timeout: .seconds(30)))
        #expect(ancestry.exitCode == 0, "the branch lost commits: \(before.tip) is not in \(after.tip)", sourceLocation: sourceLocation)
        let commits = try await git.git("rev-list", "--reverse", "\(before.tip)..\(after.tip)").split(separator: "\n").map(String.init)
        var fixed: [String] = []
        for commit in commits where !userCommits.contains(commit) {
            let raw = try await git.git("diff-tree", "--no-commit-id", "-r", "--raw", commit).split(separator: "\n")
            let paths = raw.map { String($0.split(separator: "\t")[1]) }
            flag(raw.count != 1, "commit \(commit) changes \(raw.count) files: \(raw)", paths: paths)
            for line in raw {
                let fields = line.split(separator: "\t")
                let modes = fields[0].split(separator: " ")
                let path = String(fields[1])
                flag(modes[1] != "100644", "\(path) landed with mode \(modes[1])", paths: [path])
                if modes[1] != "000000" { fixed.append(path) }
            }
        }
        let tree = try await git.git("ls-tree", "-r", after.tip).split(separator: "\n")
        for entry in tree where !entry.hasPrefix("100644 ") {
            flag(true, "the branch holds \(entry)", paths: [String(entry.split(separator: "\t").last ?? "")])
        }
        for path in Set(fixed).sorted() {
            let blob = try await Self.blob(repo, "\(after.tip):\(path)")
            flag(blob.isEmpty, "\(path) landed empty", paths: [path])
            flag(blob.contains(13), "\(path) landed with CR", paths: [path])
            flag(blob.contains(0), "\(path) landed with NUL", paths: [path])
            let text = String(validating: blob, as: UTF8.self)
            flag(text == nil, "\(path) landed as invalid UTF-8", paths: [path])
            for marker in suppressionMarkers where text?.lowercased().contains(marker) == true {
                flag(true, "\(path) landed with \(marker)", paths: [path])
            }
        }
        let (knownFixed, unknownFixed) = (Set(fixed).filter { knownIssues[$0] != nil }, Set(fixed).filter { knownIssues[$0] == nil })
        if !unknownFixed.isEmpty {
            let lint = try await Self.ruff(repo, commit: after.tip, paths: unknownFixed.sorted())
            #expect(lint.isEmpty, "landed files are not ruff clean: \(lint)", sourceLocation: sourceLocation)
        }
        for path in knownFixed.sorted() {
            let lint = try await Self.ruff(repo, commit: after.tip, paths: [path])
            flag(!lint.isEmpty, "\(path) landed not ruff clean: \(lint)", paths: [path])
        }

        // The working tree: the user's edits there, nothing else changed.
        let status = try await repo.status().split(separator: "\n").map { String($0.dropFirst(3)) }
        #expect(Set(status) == Set(dirty.keys), "working tree changes: \(status)", sourceLocation: sourceLocation)
        for (path, content) in dirty {
            #expect((try? repo.fixture.read(path)) == content, "the user's edit of \(path) was lost", sourceLocation: sourceLocation)
        }

        let fsck = try await ProcessRunner.run(
            ProcessSpec(
                executable: "git", arguments: ["fsck", "--strict", "--no-progress", "--no-dangling"],
                workingDirectory: repo.root, timeout: .seconds(60)))
        #expect(fsck.exitCode == 0 && fsck.stdoutText.isEmpty, "fsck: \(fsck.stdoutText) \(fsck.stderrText)", sourceLocation: sourceLocation)
        let locks = Self.locks(under: repo.root + "/.git")
        #expect(locks.isEmpty, "lock files left: \(locks)", sourceLocation: sourceLocation)
        let pool = (try? FileManager.default.contentsOfDirectory(atPath: repo.root + "/.git/stomper/worktrees")) ?? []
        #expect(pool.isEmpty, "worktree folders left: \(pool)", sourceLocation: sourceLocation)
    }

    static func blob(_ repo: PythonRepository, _ spec: String) async throws -> [UInt8] {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "git", arguments: ["cat-file", "blob", spec],
                workingDirectory: repo.root, timeout: .seconds(30)))
        return result.standardOutput
    }

    /// ruff on `paths` as they are in `commit`, with that commit's configuration, in a copy.
    static func ruff(_ repo: PythonRepository, commit: String, paths: [String]) async throws -> String {
        let copy = try TemporaryDirectory(prefix: "stomper-adv-lint")
        defer { copy.remove() }
        let archive = try await ProcessRunner.run(
            ProcessSpec(
                executable: "/bin/sh", arguments: ["-c", "git archive \(commit) | tar -x -C \(copy.path)"],
                workingDirectory: repo.root, timeout: .seconds(60)))
        guard archive.exitCode == 0 else { return "git archive failed: \(archive.stderrText)" }
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "ruff", arguments: ["check", "--no-cache", "-q"] + paths,
                workingDirectory: copy.path, timeout: .seconds(120)))
        return result.exitCode == 0 ? "" : result.stdoutText + result.stderrText
    }

    /// `*.lock` files under the git directory (outside stomper's own folder).
    static func locks(under git: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: git) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".lock") && !$0.hasPrefix("stomper/") }
    }
}

/// A decoy tree outside the repository, for agents to aim at: a home folder, an `/etc`-like
/// folder, a package folder and a file to link to.
enum Decoy {
    static func create(at path: String) throws {
        let files = [
            "victim.txt": "do not touch\n", "target.py": "import os\n", "x": "outside\n", "hard.py": "import os\n",
            "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "home/.bashrc": "export PS1='$ '\n",
            "home/.ssh/authorized_keys": "ssh-ed25519 AAAA user\n", "pkg/linked.py": "import os\n", "hooks/pre-commit": "#!/bin/sh\nexit 0\n",
        ]
        for (name, content) in files {
            let full = path + "/" + name
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
        }
    }
}

/// Waits, by polling, until `condition` holds; fails after `timeout`.
func poll(_ what: String, timeout: Duration = .seconds(120), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw FixtureError(message: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}
