import Foundation
import StomperGit
import StomperTestSupport
import Testing

/// Bytes that are not a good bundle: each is a `.badBundle` error and the repository is left as it was.
@Suite(.tags(.unit)) struct GitBundleErrorTests {
    private static func isBadBundle(_ error: any Error) -> Bool {
        (error as? GitError)?.code == .badBundle
    }

    @Test func truncatedCorruptAndForeignBytesAreRefusedAndNothingChanges() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let bytes = try scene.repository.writeBundle(tip: scene.tip, ref: "refs/heads/x", prerequisites: [scene.base])
            let packStart = try #require(bytes.firstRange(of: Array("\n\nPACK".utf8))).lowerBound + 2
            var flipped = bytes
            flipped[packStart + (bytes.count - packStart) / 2] ^= 0xFF
            var badVersion = bytes
            badVersion[packStart + 7] = 9
            let inputs: [(what: String, bytes: [UInt8])] = [
                ("truncated pack", Array(bytes.dropLast(10))),
                ("half a pack", Array(bytes.prefix(packStart + (bytes.count - packStart) / 2))),
                ("a flipped byte in the pack", flipped),
                ("a pack of an unknown version", badVersion),
                ("the header alone", Array(bytes.prefix(packStart))),
                ("a header cut before its blank line", Array(bytes.prefix(packStart - 1))),
                ("no bytes", []),
                ("a text file", Array("hello, world\n".utf8)),
                ("a pack without a header", Array(bytes[packStart...])),
            ]
            let refsBefore = try await BundleScene.refs(scene.clone)
            let packs = try FileManager.default.contentsOfDirectory(atPath: scene.clone.root + "/.git/objects/pack")
            for input in inputs {
                let error = try #require(throws: GitError.self) { try scene.cloneRepository.importBundle(input.bytes) }
                #expect(Self.isBadBundle(error), "\(input.what): \(error)")
            }
            #expect(try await BundleScene.refs(scene.clone) == refsBefore)
            #expect(await !BundleScene.has(scene.clone, scene.tip))
            #expect(try FileManager.default.contentsOfDirectory(atPath: scene.clone.root + "/.git/objects/pack") == packs)
            // The good bytes still import.
            #expect(try scene.cloneRepository.importBundle(bytes) == [GitBundleRef(name: "refs/heads/x", id: scene.tip)])
        }
    }

    @Test func malformedHeadersSayWhatIsWrong() throws {
        let id = String(repeating: "ab", count: 20)
        let cases: [(header: String, mentions: String)] = [
            ("# v1 git bundle\n\(id) refs/heads/x\n\n", "not a git bundle"),
            ("# v2 git bundle\n\(id)\n\n", "line 2"),
            ("# v2 git bundle\n-\(id)x refs/heads/x\n\n", "line 2"),
            ("# v2 git bundle\n-\(id) subject\n\(id.prefix(39)) refs/heads/x\n\n", "line 3"),
            ("# v2 git bundle\n-\(id) subject\n\n", "no ref"),
            ("# v2 git bundle\n@object-format=sha1\n\(id) refs/heads/x\n\n", "v3 capability"),
            ("# v3 git bundle\n@object-format=sha256\n\(id) refs/heads/x\n\n", "sha256"),
            ("# v3 git bundle\n@filter=blob:none\n\(id) refs/heads/x\n\n", "partial bundle"),
            ("# v3 git bundle\n@future=1\n\(id) refs/heads/x\n\n", "future=1"),
            ("# v2 git bundle\n\(id) refs/heads/x\n", "truncated"),
            ("# v2 git bundle\n\(id) refs/heads/a..b\n\n", "not a valid ref name"),
        ]
        for item in cases {
            let error = try #require(throws: GitError.self) { try GitRepository.bundleHeader(Array(item.header.utf8)) }
            #expect(error.code == .badBundle)
            #expect(error.message.contains(item.mentions), "\(item.header): \(error.message)")
        }
    }

    @Test func readsV2AndV3HeadersWithSubjectsOrWithout() throws {
        let base = try #require(ObjectID(hex: String(repeating: "1", count: 40)))
        let tip = try #require(ObjectID(hex: String(repeating: "2", count: 40)))
        let expected = GitBundleHeader(prerequisites: [base], refs: [GitBundleRef(name: "refs/heads/stomper/shard-2-of-3", id: tip)])
        for header in [
            "# v2 git bundle\n-\(base.hex) fix: a subject with spaces\n\(tip.hex) refs/heads/stomper/shard-2-of-3\n\nPACK",
            "# v2 git bundle\n-\(base.hex)\n\(tip.hex) refs/heads/stomper/shard-2-of-3\n\n",
            "# v3 git bundle\n@object-format=sha1\n-\(base.hex) s\n\(tip.hex) refs/heads/stomper/shard-2-of-3\n\n",
        ] {
            #expect(try GitRepository.bundleHeader(Array(header.utf8)) == expected)
        }
    }

    @Test func writingRefusesBadRefNamesAndUnknownCommits() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let repository = try scene.repository
            for name in ["x", "refs/heads/a..b", "refs/heads/x y", ""] {
                let error = try #require(throws: GitError.self) {
                    try repository.writeBundle(tip: scene.tip, ref: name, prerequisites: [])
                }
                #expect(error.code == .badBundle, "\(name)")
            }
            let unknown = try #require(ObjectID(hex: String(repeating: "3", count: 40)))
            for (tip, prerequisites) in [(unknown, [scene.base]), (scene.tip, [unknown])] {
                let error = try #require(throws: GitError.self) {
                    try repository.writeBundle(tip: tip, ref: "refs/heads/x", prerequisites: prerequisites)
                }
                #expect(error.code == .objectNotFound)
                #expect(error.message.contains(unknown.hex))
            }
        }
    }
}
