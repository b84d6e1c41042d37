import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// A pyenv-like layout in a temporary folder: `shims/tool` (the shim script, as pyenv writes it),
/// `root/libexec/pyenv` (a manager that answers `which` and records where and how it was asked)
/// and `root/versions/1.0/bin/tool` (the real program).
private struct FakePyenv {
    let base: String
    var shims: String { base + "/shims" }
    var root: String { base + "/root" }
    var program: String { root + "/versions/1.0/bin/tool" }
    var asked: String { base + "/asked" }

    init(base: String, answer: String? = nil, exitStatus: Int = 0) throws {
        self.base = base
        let manager = root + "/libexec/pyenv"
        try Self.write(
            shims + "/tool",
            """
            #!/usr/bin/env bash
            set -e
            program="${0##*/}"
            export PYENV_ROOT="\(root)"
            exec "\(manager)" exec "$program" "$@"
            """)
        try Self.write(
            manager,
            """
            #!/bin/sh
            echo "$1 $2 $(pwd) $PYENV_ROOT" > "\(asked)"
            [ "$1" = which ] || exit 9
            echo "\(answer ?? program)"
            exit \(exitStatus)
            """)
        try Self.write(program, "#!/bin/sh\necho real\n")
    }

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }
}

@Suite(.tags(.unit), .timeLimit(.minutes(2))) struct VersionManagerShimTests {
    @Test func aPyenvShimResolvesToTheProgramTheManagerNamesAskedInTheGivenFolder() async throws {
        try await withTemporaryDirectory { dir in
            let fake = try FakePyenv(base: dir)
            let project = dir + "/project"
            try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
            let resolved = await VersionManagerShim.resolve("tool", in: project, environment: ["PATH": "/nonexistent:" + fake.shims])
            #expect(resolved == fake.program)
            let asked = try String(contentsOfFile: fake.asked, encoding: .utf8)
            #expect(asked == "which tool \(project) \(fake.root)\n")
            // A path to the shim resolves the same way.
            #expect(await VersionManagerShim.resolve(fake.shims + "/tool", in: project, environment: [:]) == fake.program)
        }
    }

    @Test func aProgramThatIsNoShimIsLeftAlone() async throws {
        try await withTemporaryDirectory { dir in
            let fake = try FakePyenv(base: dir)
            let path = fake.root + "/versions/1.0/bin"
            #expect(await VersionManagerShim.resolve("tool", in: dir, environment: ["PATH": path]) == "tool")
            #expect(!FileManager.default.fileExists(atPath: fake.asked))
            #expect(await VersionManagerShim.resolve("sh", in: dir, environment: ["PATH": "/bin:/usr/bin"]) == "sh")
            #expect(
                await VersionManagerShim.resolve("stomper-no-such-tool", in: dir, environment: ["PATH": "/bin"])
                    == "stomper-no-such-tool")
        }
    }

    @Test func aManagerThatCannotSayLeavesTheShimInCharge() async throws {
        try await withTemporaryDirectory { dir in
            let failing = try FakePyenv(base: dir + "/failing", exitStatus: 1)
            #expect(await VersionManagerShim.resolve("tool", in: dir, environment: ["PATH": failing.shims]) == "tool")
            let nonsense = try FakePyenv(base: dir + "/nonsense", answer: "pyenv: tool: command not found")
            #expect(await VersionManagerShim.resolve("tool", in: dir, environment: ["PATH": nonsense.shims]) == "tool")
            let itself = try FakePyenv(base: dir + "/itself", answer: dir + "/itself/shims/tool")
            #expect(await VersionManagerShim.resolve("tool", in: dir, environment: ["PATH": itself.shims]) == "tool")
        }
    }
}
