internal import Clibgit2

/// One ref a git bundle carries: its full name and the object it points at.
public struct GitBundleRef: Sendable, Hashable {
    /// The full ref name, e.g. `refs/heads/stomper/shard-1-of-3`.
    public var name: String
    public var id: ObjectID

    public init(name: String, id: ObjectID) {
        self.name = name
        self.id = id
    }
}

/// The header of a git bundle (v2, or v3 with SHA-1 objects): the commits the receiving
/// repository must already have and the refs the bundle carries.
public struct GitBundleHeader: Sendable, Hashable {
    /// Commits the bundle's pack was made against: objects reachable from them are left out.
    public var prerequisites: [ObjectID]
    public var refs: [GitBundleRef]

    public init(prerequisites: [ObjectID], refs: [GitBundleRef]) {
        self.prerequisites = prerequisites
        self.refs = refs
    }
}

extension GitBundleHeader {
    static let v2Signature = "# v2 git bundle"
    static let v3Signature = "# v3 git bundle"

    /// The header of `bytes` and the offset where the pack starts (just after the blank line).
    ///
    /// Lines are split on LF only, as git writes them; anything else in the header is refused
    /// rather than skipped, so a file that merely starts like a bundle is not half-read.
    static func parse(_ bytes: [UInt8]) throws(GitError) -> (header: GitBundleHeader, packStart: Int) {
        var offset = 0
        func nextLine() -> String? {
            guard let end = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            defer { offset = end + 1 }
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }
        guard let signature = nextLine(), signature == v2Signature || signature == v3Signature else {
            throw GitError(
                .badBundle,
                "this is not a git bundle: it does not start with `\(v2Signature)`; pass a file made by "
                    + "`stomper` or `git bundle create`")
        }
        var prerequisites: [ObjectID] = []
        var refs: [GitBundleRef] = []
        var number = 1
        while true {
            number += 1
            guard let line = nextLine() else {
                throw GitError(
                    .badBundle,
                    "the bundle's header ends at line \(number) without the blank line before its pack: "
                        + "the file is truncated; make the bundle again")
            }
            if line.isEmpty { break }
            if line.hasPrefix("@") {
                guard signature == v3Signature else {
                    throw GitError(.badBundle, "line \(number) of a v2 bundle's header is a v3 capability: the header is corrupt")
                }
                try checkCapability(String(line.dropFirst()), line: number)
            } else if line.hasPrefix("-") {
                guard let id = ObjectID(hex: String(line.dropFirst().prefix(40))), line.count == 41 || line.dropFirst(41).first == " "
                else { throw malformed(number) }
                prerequisites.append(id)
            } else {
                let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let id = ObjectID(hex: String(parts[0])), !parts[1].isEmpty else {
                    throw malformed(number)
                }
                var valid: Int32 = 0
                LibGit2.ensureInitialised()
                guard git_reference_name_is_valid(&valid, String(parts[1])) == 0, valid == 1 else {
                    throw GitError(
                        .badBundle, "line \(number) of the bundle's header names `\(parts[1])`, which is not a valid ref name: the header is corrupt")
                }
                refs.append(GitBundleRef(name: String(parts[1]), id: id))
            }
        }
        guard !refs.isEmpty else {
            throw GitError(.badBundle, "the bundle carries no ref, so there is nothing to import: make it again with the shard's branch")
        }
        return (GitBundleHeader(prerequisites: prerequisites, refs: refs), offset)
    }

    /// v3 capabilities stomper can honour: only the object format git's v2 implies.
    private static func checkCapability(_ capability: String, line: Int) throws(GitError) {
        if capability == "object-format=sha1" { return }
        if capability.hasPrefix("object-format=") {
            throw GitError(
                .badBundle,
                "the bundle holds \(capability.dropFirst("object-format=".count)) objects; stomper reads SHA-1 "
                    + "repositories only: make the bundle from a SHA-1 repository")
        }
        if capability.hasPrefix("filter=") {
            throw GitError(
                .badBundle,
                "the bundle is a partial bundle (\(capability)) and lacks objects; make it again without "
                    + "`--filter`")
        }
        throw GitError(
            .badBundle,
            "the bundle's header asks for capability `\(capability)` (line \(line)), which stomper does not "
                + "know: make the bundle with `git bundle create --version=2`")
    }

    private static func malformed(_ line: Int) -> GitError {
        GitError(
            .badBundle,
            "line \(line) of the bundle's header is neither a prerequisite (`-<id> <subject>`) nor a ref "
                + "(`<id> <refname>`): the header is corrupt; make the bundle again")
    }

    /// The ref names, for messages.
    var refNames: String { refs.map(\.name).joined(separator: ", ") }
}
