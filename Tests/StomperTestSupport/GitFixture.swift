import Foundation
import StomperProcess

/// A git repository built in code with the git CLI (tests only; the product uses libgit2).
public struct GitFixture: Sendable {
    public let root: String

    /// `git init` in `root` on branch `main`, with an identity so commits work anywhere.
    public static func create(at root: String, files: [String: String] = [:], message: String = "initial") async throws -> GitFixture {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let fixture = GitFixture(root: root)
        try await fixture.git("init", "-q", "-b", "main")
        try await fixture.git("config", "user.name", "Fixture Author")
        try await fixture.git("config", "user.email", "fixture@example.com")
        try await fixture.git("config", "commit.gpgsign", "false")
        if !files.isEmpty {
            try fixture.write(files)
            try await fixture.commitAll(message)
        }
        return fixture
    }

    public init(root: String) {
        self.root = root
    }

    public func write(_ files: [String: String]) throws {
        for (path, content) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
        }
    }

    public func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    public func commitAll(_ message: String) async throws {
        try await git("add", "-A")
        try await git("commit", "-q", "--no-verify", "-m", message)
    }

    /// Runs git in the repository and returns its stdout; throws if git fails.
    @discardableResult
    public func git(_ arguments: String...) async throws -> String {
        try await git(arguments)
    }

    @discardableResult
    public func git(_ arguments: [String]) async throws -> String {
        let result = try await ProcessRunner.run(
            ProcessSpec(
                executable: "git", arguments: arguments, workingDirectory: root,
                timeout: .seconds(60)))
        guard result.exitCode == 0 else {
            throw FixtureError(message: "git \(arguments.joined(separator: " ")) failed: \(result.stderrText)")
        }
        return result.stdoutText
    }

    public func head() async throws -> String {
        try await git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
