import Foundation
import StomperGit
import StomperTestSupport
import Testing

/// Two repositories for bundle tests: `origin`, whose `main` has a root commit and `base` on it,
/// then branch `x` with two commits on top (`tip`); and `clone`, a clone of `origin` made at
/// `base`, so it has the base but none of `x`.
struct BundleScene {
    let origin: GitFixture
    let clone: GitFixture
    let base: ObjectID
    let tip: ObjectID
    let directory: String

    var repository: GitRepository { get throws { try GitRepository.discover(from: origin.root) } }
    var cloneRepository: GitRepository { get throws { try GitRepository.discover(from: clone.root) } }

    /// 100 lines, line `changed` different: big enough for the packer to store one as a delta.
    static func lines(changing changed: Int? = nil) -> String {
        (1...100).map { (number: Int) -> String in number == changed ? "changed line \(number)\n" : "line \(number)\n" }.joined()
    }

    static func create(in directory: String) async throws -> BundleScene {
        let origin = try await GitFixture.create(at: directory + "/origin", files: ["root.txt": "root\n"], message: "root")
        try origin.write(["a.txt": lines(), "src/b.txt": "b\n"])
        try await origin.commitAll("base commit")
        let base = try #require(ObjectID(hex: try await origin.head()))
        let clone = GitFixture(root: directory + "/clone")
        try await origin.git("clone", "-q", origin.root, clone.root)
        try await identify(clone)
        try await origin.git("checkout", "-q", "-b", "x")
        try origin.write(["a.txt": lines(changing: 50), "c/new.txt": "new\n"])
        try await origin.commitAll("one")
        try origin.write(["src/b.txt": "b2\n"])
        try await origin.commitAll("two")
        let tip = try #require(ObjectID(hex: try await origin.head()))
        return BundleScene(origin: origin, clone: clone, base: base, tip: tip, directory: directory)
    }

    static func identify(_ fixture: GitFixture) async throws {
        try await fixture.git("config", "user.name", "Fixture Author")
        try await fixture.git("config", "user.email", "fixture@example.com")
        try await fixture.git("config", "commit.gpgsign", "false")
    }

    /// Writes `bytes` to a file of the scene's folder and returns its path.
    func save(_ bytes: [UInt8], as name: String) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func refs(_ fixture: GitFixture) async throws -> String {
        try await fixture.git("for-each-ref", "--format=%(refname) %(objectname)")
    }

    /// Whether the repository has the object, asked of git itself.
    static func has(_ fixture: GitFixture, _ id: ObjectID) async -> Bool {
        (try? await fixture.git("cat-file", "-e", id.hex)) != nil
    }
}
