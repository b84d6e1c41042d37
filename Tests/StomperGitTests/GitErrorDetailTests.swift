import StomperErrors
import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct GitErrorDetailTests {
    @Test func aLibgit2FailureIsExplainedWithItsCodeClassMessageAndLocation() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try await GitFixture.create(at: dir + "/repo", files: ["a.py": "x = 1\n"])
            let repository = try GitRepository.discover(from: fixture.root)
            let missing = try #require(ObjectID(hex: String(repeating: "ab", count: 20)))
            let error = try #require(#expect(throws: GitError.self) { _ = try repository.message(of: missing) })
            #expect(error.code == .libgit2)
            #expect(!error.description.contains("\n"))
            let detail = error.detailedDescription
            #expect(detail.hasPrefix(error.description + "\n"))
            #expect(detail.contains("(GitError.libgit2)"))
            #expect(detail.contains("  at StomperGit/"))
            #expect(detail.contains("libgit2: GIT_ENOTFOUND (-3), class GIT_ERROR_ODB (9): "))
        }
    }

    @Test func theUnderlyingErrorIsPartOfTheChain() {
        let cause = GitError(.io, "cannot write a.py", path: "a.py")
        let error = GitError(.restoreFailed, "putting a.py back failed", underlying: cause)
        let detail = error.detailedDescription
        #expect(detail.contains("  caused by GitError.io: cannot write a.py (a.py)"))
        #expect(detail.contains("    path: a.py"))
        #expect(detail.contains("    at StomperGitTests/GitErrorDetailTests.swift:\(#line - 5)"))
    }
}
