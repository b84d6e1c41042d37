import StomperGit
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct CommitSeriesTests {
    @Test func listsTheCommitsAfterTheBaseOldestFirstWithTheirPaths() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            try await scene.origin.git("mv", "c/new.txt", "c/renamed.txt")
            try await scene.origin.git("commit", "-q", "-m", "rename")
            let tip = try #require(ObjectID(hex: try await scene.origin.head()))
            let series = try scene.repository.commits(after: scene.base, upTo: tip)
            #expect(series.map(\.subject) == ["one", "two", "rename"])
            #expect(series.map(\.paths) == [["a.txt", "c/new.txt"], ["src/b.txt"], ["c/new.txt", "c/renamed.txt"]])
            #expect(series.first?.parent == scene.base)
            #expect(series.last?.commit == tip)
            #expect(try scene.repository.commits(after: tip, upTo: tip).isEmpty)
        }
    }

    @Test func aBaseOffTheLineIsAnError() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let error = try #require(throws: GitError.self) {
                try scene.repository.commits(after: scene.tip, upTo: scene.base)
            }
            #expect(error.code == .objectNotFound)
            #expect(error.message.contains(scene.tip.short))
        }
    }
}
