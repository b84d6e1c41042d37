import Foundation
import StomperCore
import StomperTestSupport
import Testing

@Suite(.tags(.unit)) struct PatchSeriesTests {
    /// The names match what `git format-patch` gives the same subjects.
    @Test func fileNamesAreTheOnesGitFormatPatchGives() async throws {
        try await withTemporaryDirectory { dir in
            let subjects = [
                "fix(ruff): src/pkg/app.py: fix 3 diagnostics (E711, F401)", "docs: regenerate ... for   two files...",
                "  leading -- and trailing --. ", "a very long subject " + String(repeating: "word ", count: 20),
                "non-ASCII: café.py ünd mehr",
            ]
            let repo = try await GitFixture.create(at: dir + "/repo", files: ["a.txt": "0\n"])
            for (index, subject) in subjects.enumerated() {
                try repo.write(["a.txt": "\(index + 1)\n"])
                try await repo.commitAll(subject)
            }
            let names = try await repo.git("format-patch", "-o", dir + "/out", "HEAD~\(subjects.count)")
                .split(separator: "\n").map { String($0.split(separator: "/").last ?? "") }
            #expect(names == subjects.enumerated().map { PatchSeries.fileName(number: $0 + 1, subject: $1) })
        }
    }

    /// Only `*.patch` files an earlier manifest lists may be in the folder.
    @Test func prepareRefusesPatchesNoManifestLists() async throws {
        try await withTemporaryDirectory { dir in
            let series = PatchSeries(directory: dir + "/new/out")
            #expect(try series.prepare() == [])
            try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/new/out/0001-x.patch"))
            #expect(throws: CoreError.self) { try series.prepare() }
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/new/out/manifest.json"))
            #expect(throws: CoreError.self) { try series.prepare() }
        }
    }
}
