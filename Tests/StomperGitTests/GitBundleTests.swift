import Foundation
import StomperGit
import StomperTestSupport
import Testing

/// Bundles written and read through libgit2, checked against the real git CLI both ways.
@Suite(.tags(.unit)) struct GitBundleTests {
    @Test func ourBundlePassesGitBundleVerifyAndFetch() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let bytes = try scene.repository.writeBundle(tip: scene.tip, ref: "refs/heads/x", prerequisites: [scene.base])
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            #expect(text.hasPrefix("# v2 git bundle\n-\(scene.base.hex) base commit\n\(scene.tip.hex) refs/heads/x\n\nPACK"))
            #expect(
                try GitRepository.bundleHeader(bytes)
                    == GitBundleHeader(prerequisites: [scene.base], refs: [GitBundleRef(name: "refs/heads/x", id: scene.tip)]))
            let file = try scene.save(bytes, as: "x.bundle")
            try await scene.clone.git("bundle", "verify", "-q", file)
            try await scene.clone.git("fetch", "-q", file, "refs/heads/x:refs/heads/x")
            #expect(try await scene.clone.git("rev-parse", "refs/heads/x") == scene.tip.hex + "\n")
            #expect(try await scene.clone.git("show", "refs/heads/x:a.txt") == BundleScene.lines(changing: 50))
            try await scene.clone.git("fsck", "--no-dangling", "--no-progress")
        }
    }

    @Test func importsABundleMadeByGitWithAThinPack() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            try await scene.clone.git("checkout", "-q", "-b", "y")
            try scene.clone.write(["a.txt": BundleScene.lines(changing: 7)])
            try await scene.clone.commitAll("from the clone")
            let yTip = try #require(ObjectID(hex: try await scene.clone.head()))
            let file = dir + "/y.bundle"
            try await scene.clone.git("bundle", "create", "-q", file, "main..y")
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            let refsBefore = try await BundleScene.refs(scene.origin)

            let refs = try scene.repository.importBundle(bytes)

            #expect(refs == [GitBundleRef(name: "refs/heads/y", id: yTip)])
            #expect(try await BundleScene.refs(scene.origin) == refsBefore)
            // The changed blob came as a delta against the base's, which only origin holds.
            #expect(try await scene.origin.git("show", "\(yTip.hex):a.txt") == BundleScene.lines(changing: 7))
            try await scene.origin.git("rev-list", "--objects", yTip.hex)
            try await scene.origin.git("fsck", "--no-dangling", "--no-progress")
        }
    }

    @Test func aBundleWithoutPrerequisitesRoundTrips() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let bytes = try scene.repository.writeBundle(tip: scene.tip, ref: "refs/heads/stomper/shard-1-of-3", prerequisites: [])
            #expect(try GitRepository.bundleHeader(bytes).prerequisites.isEmpty)
            let empty = try await GitFixture.create(at: dir + "/empty")
            let refs = try GitRepository.discover(from: empty.root).importBundle(bytes)
            #expect(refs == [GitBundleRef(name: "refs/heads/stomper/shard-1-of-3", id: scene.tip)])
            #expect(try await BundleScene.refs(empty) == "")
            try await empty.git("rev-list", "--objects", scene.tip.hex)
            #expect(try await empty.git("show", "\(scene.tip.hex):root.txt") == "root\n")
            // And git reads it as a whole repository.
            let file = try scene.save(bytes, as: "full.bundle")
            try await empty.git("bundle", "verify", "-q", file)
            try await empty.git("clone", "-q", "-b", "stomper/shard-1-of-3", file, dir + "/from-bundle")
            #expect(try String(contentsOfFile: dir + "/from-bundle/src/b.txt", encoding: .utf8) == "b2\n")
        }
    }

    @Test func aMissingPrerequisiteIsNamedAndNothingChanges() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let bytes = try scene.repository.writeBundle(tip: scene.tip, ref: "refs/heads/x", prerequisites: [scene.base])
            let other = try await GitFixture.create(at: dir + "/other", files: ["z.txt": "z\n"])
            let refsBefore = try await BundleScene.refs(other)
            #expect {
                _ = try GitRepository.discover(from: other.root).importBundle(bytes)
            } throws: { error in
                guard let error = error as? GitError, error.code == .objectNotFound else { return false }
                return error.message.contains(scene.base.hex) && error.message.contains("fetch the shard's base commit first")
                    && error.message.contains("refs/heads/x")
            }
            #expect(try await BundleScene.refs(other) == refsBefore)
            #expect(await !BundleScene.has(other, scene.tip))
        }
    }

    @Test func aBundleFromAShallowCloneIsCutAtItsBoundary() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let shallow = GitFixture(root: dir + "/shallow")
            try await scene.origin.git("clone", "-q", "--depth", "1", "-b", "main", "file://" + scene.origin.root, shallow.root)
            try await BundleScene.identify(shallow)
            try shallow.write(["a.txt": BundleScene.lines(changing: 90), "d/e.txt": "e\n"])
            try await shallow.commitAll("in the shallow clone")
            let tip = try #require(ObjectID(hex: try await shallow.head()))
            let repository = try GitRepository.discover(from: shallow.root)

            let bytes = try repository.writeBundle(tip: tip, ref: "refs/heads/s", prerequisites: [scene.base])

            let file = try scene.save(bytes, as: "s.bundle")
            try await scene.clone.git("bundle", "verify", "-q", file)
            try await scene.clone.git("fetch", "-q", file, "refs/heads/s:refs/heads/s")
            #expect(try await scene.clone.git("show", "refs/heads/s:d/e.txt") == "e\n")
            // Only the new commit, its two new trees and two new blobs: nothing the base has.
            let pack = try #require(bytes.firstRange(of: Array("\n\nPACK".utf8))).lowerBound + 2
            #expect(bytes[(pack + 8)..<(pack + 12)].elementsEqual([0, 0, 0, 5]))
            try await scene.clone.git("fsck", "--no-dangling", "--no-progress")
        }
    }

    @Test func aTipAtItsPrerequisiteGivesAnEmptyBundleThatImports() async throws {
        try await withTemporaryDirectory { dir in
            let scene = try await BundleScene.create(in: dir)
            let bytes = try scene.repository.writeBundle(tip: scene.base, ref: "refs/heads/same", prerequisites: [scene.base])
            let refs = try scene.cloneRepository.importBundle(bytes)
            #expect(refs == [GitBundleRef(name: "refs/heads/same", id: scene.base)])
        }
    }
}
