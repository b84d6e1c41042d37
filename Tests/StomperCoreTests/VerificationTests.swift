import StomperAgents
import StomperCore
import StomperGit
import StomperQuality
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct DiagnosticDeltaTests {
    func d(_ code: String, _ line: Int) -> Diagnostic {
        Diagnostic(tool: "ruff", path: "a.py", line: line, column: 1, code: code, message: code)
    }

    @Test func allTargetsGoneIsComplete() {
        let delta = DiagnosticDelta(
            targets: [d("F401", 1), d("F401", 2), d("E711", 5)],
            baseline: [d("F401", 1), d("F401", 2), d("E711", 5)], after: [])
        #expect(delta.isComplete)
        #expect(delta.fixed == ["F401": 2, "E711": 1])
    }

    @Test func movedDiagnosticsStillCountAsRemaining() {
        let delta = DiagnosticDelta(
            targets: [d("F401", 1), d("F821", 9)], baseline: [d("F401", 1), d("F821", 9)],
            after: [d("F821", 7)])
        #expect(delta.fixed == ["F401": 1])
        #expect(delta.remaining == [d("F821", 7)])
        #expect(delta.introduced.isEmpty)
        #expect(!delta.isComplete && delta.isImprovement)
    }

    @Test func newCodesAndExtraOccurrencesAreIntroduced() {
        let delta = DiagnosticDelta(
            targets: [d("F401", 1)], baseline: [d("F401", 1)],
            after: [d("E999", 1), d("F401", 3), d("F401", 4)])
        #expect(delta.remaining == [d("F401", 3)])
        #expect(delta.introduced == [d("E999", 1), d("F401", 4)])
        #expect(!delta.isImprovement)
    }

    @Test func untargetedPreexistingDiagnosticsAreNeitherRemainingNorIntroduced() {
        let delta = DiagnosticDelta(targets: [d("F401", 1)], baseline: [d("F401", 1), d("E501", 8)], after: [d("E501", 7)])
        #expect(delta.isComplete)
    }
}

@Suite(.tags(.unit)) struct PatchScopeTests {
    let base = ObjectID(hex: String(repeating: "0", count: 40))!
    let id = ObjectID(hex: String(repeating: "1", count: 40))!

    func change(_ path: String, mode: FileMode = .regular, bytes: [UInt8] = [1]) -> PathChange {
        PathChange(path: path, old: nil, new: .init(bytes: bytes, mode: mode, id: id))
    }

    @Test func onlyTheTargetFileIsAllowed() {
        let scope = PatchScope(target: "src/a.py")
        #expect(scope.violations(of: Patch(base: base, changes: [change("src/a.py")])).isEmpty)
        #expect(
            scope.violations(of: Patch(base: base, changes: [change("src/a.py"), change("src/b.py")]))
                == [.outsideScope(path: "src/b.py")])
    }

    @Test func configuredExtraPathsAreAllowed() {
        let scope = PatchScope(target: "a.py", extraAllowed: ["CHANGELOG.md"])
        #expect(scope.violations(of: Patch(base: base, changes: [change("a.py"), change("CHANGELOG.md")])).isEmpty)
    }

    @Test func anythingUnderGitIsRejectedEvenWhenAllowed() {
        let scope = PatchScope(target: "a.py", extraAllowed: [".git/hooks/pre-commit", "sub/.GIT/config"])
        let violations = scope.violations(of: Patch(base: base, changes: [change(".git/hooks/pre-commit"), change("sub/.GIT/config")]))
        #expect(violations == [.gitDirectory(path: ".git/hooks/pre-commit"), .gitDirectory(path: "sub/.GIT/config")])
    }

    @Test func traversalAndAbsolutePathsAreRejected() {
        let scope = PatchScope(target: "../a.py", extraAllowed: ["/etc/passwd"])
        #expect(scope.violations(of: Patch(base: base, changes: [change("../a.py"), change("/etc/passwd")])).count == 2)
    }

    /// Every new link is refused; one leading out of the repository or into `.git` says so.
    @Test func symlinksAreRejectedAndThoseLeadingOutSaySo() {
        let scope = PatchScope(target: "pkg/a.py", extraAllowed: ["pkg/link"])
        func link(_ target: String) -> Patch {
            Patch(base: base, changes: [change("pkg/link", mode: .symlink, bytes: Array(target.utf8))])
        }
        #expect(scope.violations(of: link("../other.py")) == [.newSymlink(path: "pkg/link", target: "../other.py")])
        #expect(scope.violations(of: link("../../outside")) == [.escapingSymlink(path: "pkg/link", target: "../../outside")])
        #expect(scope.violations(of: link("/etc/passwd")) == [.escapingSymlink(path: "pkg/link", target: "/etc/passwd")])
        #expect(scope.violations(of: link("../.git/config")).count == 1)
    }
}

@Suite(.tags(.unit)) struct CommitMessageTests {
    @Test func subjectNamesToolPathCountAndCodesWithBothTrailers() {
        let key = IdempotencyKey(
            path: "src/a.py", baseBlob: ObjectID(hex: String(repeating: "a", count: 40))!, diagnostics: [],
            agent: .init(kind: "autofix", name: "autofix", settings: ""), toolVersions: [:], configurationHash: "")
        let message = CommitMessage.make(tools: ["ruff"], path: "src/a.py", fixed: ["F401": 2, "E711": 1], runID: "run-1", key: key)
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "fix(ruff): src/a.py: fix 3 diagnostics (E711, F401)")
        #expect(lines[1] == "")
        #expect(lines[2] == "Stomper-Run: run-1")
        #expect(lines[3] == "Stomper-Key: \(key.value)")
    }

    @Test func runIDsHaveTheDocumentedShape() {
        let id = FixPlan.newRunID()
        #expect(id.wholeMatch(of: /run-\d{8}-\d{6}-[0-9a-f]{8}/) != nil)
    }
}
