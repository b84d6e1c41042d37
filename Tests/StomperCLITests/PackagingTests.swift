import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// `scripts/package.sh` on the suite's own (debug) build: the tarball and the wheel must run where
/// neither the Swift runtime nor the system's libgit2 can be loaded. The release packaging is the
/// same script with a release build (docs/INSTALL.md has its figures).
@Suite(.timeLimit(.minutes(10))) struct PackagingTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func shell(_ command: String, in directory: String? = nil, environment: [String: String?] = [:],
                      timeout: Duration = .seconds(300)) async throws -> ProcessResult {
        try await ProcessRunner.run(ProcessSpec(executable: "/bin/bash", arguments: ["-c", command], workingDirectory: directory,
                                                environment: environment, timeout: timeout))
    }

    /// A bubblewrap command line that runs its argument with the folder of the Swift runtime the
    /// suite's binary loads replaced by an empty one and the system libgit2 replaced by an empty
    /// file: whatever runs inside must bring its own.
    static func withoutSwiftOrLibgit2() async throws -> String {
        let ldd = try await shell("ldd '\(StomperBinary.path)'")
        #expect(ldd.exitCode == 0)
        func resolved(_ library: String) throws -> String {
            let line = try #require(ldd.stdoutText.split(separator: "\n").first { $0.contains(library) && $0.contains("=>") })
            let path = String(try #require(line.split(separator: " ").first { $0.hasPrefix("/") }))
            return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        }
        let swiftRuntime = URL(fileURLWithPath: try resolved("libswiftCore.so")).deletingLastPathComponent().path
        let libgit2 = try resolved("libgit2.so")
        return "bwrap --dev-bind / / --tmpfs '\(swiftRuntime)' --ro-bind /dev/null '\(libgit2)' env -u LD_LIBRARY_PATH"
    }

    @Test func theTarballAndTheWheelRunWithoutSwiftOrLibgit2() async throws {
        try await withTemporaryDirectory { dir in
            let binaries = URL(fileURLWithPath: StomperBinary.path).deletingLastPathComponent().path
            let packaged = try await Self.shell("bash scripts/package.sh --debug --bin '\(binaries)' --out '\(dir)/dist'",
                                                in: Self.repositoryRoot)
            try #require(packaged.exitCode == 0, "\(packaged.stdoutText) \(packaged.stderrText)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/dist").sorted()
            let tarball = try #require(files.first { $0.hasSuffix("-linux-x86_64.tar.gz") || $0.hasSuffix("-linux-aarch64.tar.gz") })
            let wheel = try #require(files.first { $0.hasSuffix(".whl") })
            #expect(wheel.range(of: #"^stomper-[0-9.]+-py3-none-manylinux_2_[0-9]+_(x86_64|aarch64)\.whl$"#,
                                options: .regularExpression) != nil, "\(wheel)")
            #expect(files.contains(tarball + ".sha256") && files.contains(wheel + ".sha256"))
            let checked = try await Self.shell("sha256sum -c *.sha256", in: dir + "/dist")
            #expect(checked.exitCode == 0, "\(checked.stdoutText) \(checked.stderrText)")

            let commit = try await Self.shell("git rev-parse --short=12 HEAD", in: Self.repositoryRoot).stdoutText
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let sealed = try await Self.withoutSwiftOrLibgit2()
            // Sanity of the seal: the suite's own binary cannot start inside it.
            let unsealed = try await Self.shell("\(sealed) '\(StomperBinary.path)' --version")
            #expect(unsealed.exitCode != 0)

            // The tarball: bin/ and lib/, RPATH $ORIGIN/../lib.
            let unpacked = try await Self.shell("mkdir -p tar && tar -C tar -xzf dist/\(tarball)", in: dir)
            #expect(unpacked.exitCode == 0)
            let home = dir + "/tar/" + tarball.replacingOccurrences(of: ".tar.gz", with: "")
            #expect(FileManager.default.isExecutableFile(atPath: home + "/bin/stomper-mock-agent"))
            let libraries = try FileManager.default.contentsOfDirectory(atPath: home + "/lib")
            #expect(libraries.contains { $0.hasPrefix("libgit2.so") })
            let version = try await Self.shell("\(sealed) '\(home)/bin/stomper' --version")
            #expect(version.exitCode == 0, "\(version.stderrText)")
            #expect(version.stdoutText.hasPrefix("0."), "\(version.stdoutText)")
            #expect(version.stdoutText.contains("(commit \(commit)"), "\(version.stdoutText)")
            #expect(version.stdoutText.contains("libgit2 1."), "\(version.stdoutText)")

            // The wheel, in a fresh virtual environment: `stomper` on the venv's PATH runs the demo.
            let installed = try await Self.shell("python3 -m venv venv && venv/bin/pip install --quiet --no-index dist/\(wheel)",
                                                 in: dir)
            try #require(installed.exitCode == 0, "\(installed.stdoutText) \(installed.stderrText)")
            let wheelVersion = try await Self.shell("\(sealed) '\(dir)/venv/bin/stomper' --version")
            #expect(wheelVersion.stdoutText == version.stdoutText, "\(wheelVersion.stdoutText) \(wheelVersion.stderrText)")
            let demo = try await Self.shell("\(sealed) bash Demos/quickstart.sh '\(dir)/demo'", in: Self.repositoryRoot,
                                            environment: ["STOMPER_BIN": dir + "/venv/bin/stomper"])
            #expect(demo.exitCode == 1, "\(demo.stdoutText) \(demo.stderrText)")
            #expect(demo.stdoutText.contains("25 fixed, 4 need an agent"), "\(demo.stdoutText)")
        }
    }
}
