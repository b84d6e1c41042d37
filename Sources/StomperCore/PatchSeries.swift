import Foundation
public import StomperGit

/// The commits a run landed, written as `git format-patch` files plus a manifest, for a CI job
/// without a write token to hand its fixes to a trusted job that applies them with `git am`
/// (`stomper fix --patches DIR`).
///
/// DIR holds `0001-<subject>.patch` … in branch order, oldest first, and `manifest.json` (written
/// last: a manifest present means the series is complete). A run replaces only what an earlier
/// manifest in DIR lists; any other `*.patch` file there stops the export before the run, so
/// patches of two runs are never mixed. Other files in DIR are left alone.
public struct PatchSeries: Sendable {
    public static let manifestName = "manifest.json"
    public static let format = "stomper-patches"
    public static let version = 1

    /// One patch file of the series.
    public struct Entry: Sendable, Hashable, Codable {
        public var file: String
        public var commit: String
        /// The commit the patch applies on (the previous patch's, or the base).
        public var parent: String?
        /// The fix's idempotency key (its `Stomper-Key` trailer); nil for the docs commit.
        public var key: String?
        public var subject: String
        public var paths: [String]
        /// SHA-256 of the patch file's bytes.
        public var sha256: String

        enum CodingKeys: String, CodingKey { case file, commit, parent, key, subject, paths, sha256 }

        /// Every field is present; `parent` and `key` are `null` when there is none.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(file, forKey: .file)
            try container.encode(commit, forKey: .commit)
            try container.encode(parent, forKey: .parent)
            try container.encode(key, forKey: .key)
            try container.encode(subject, forKey: .subject)
            try container.encode(paths, forKey: .paths)
            try container.encode(sha256, forKey: .sha256)
        }
    }

    /// `manifest.json`.
    public struct Manifest: Sendable, Hashable, Codable {
        public var format: String
        public var version: Int
        public var runID: String
        public var base: String
        public var branch: String
        /// The last patch's commit (the base when there is none).
        public var tip: String
        /// The tip's tree: after `git am` of every patch on `base`, `HEAD^{tree}` is this.
        public var tree: String
        /// Whether every patch's parent is the previous patch's commit (the first one's: `base`).
        /// False when another writer's commits landed in between: the patches then may not apply
        /// on `base` as they are.
        public var contiguous: Bool
        public var patches: [Entry]

        enum CodingKeys: String, CodingKey {
            case format, version, runID = "run_id", base, branch, tip, tree, contiguous, patches
        }
    }

    /// A landed commit to export, with the key of its fix (nil for a docs commit).
    public struct Commit: Sendable, Hashable {
        public var id: ObjectID
        public var key: IdempotencyKey?
        public init(id: ObjectID, key: IdempotencyKey?) {
            self.id = id
            self.key = key
        }
    }

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Creates DIR if missing and returns the files an earlier export left there that the next
    /// `write` replaces. Throws `.patchExport` naming the first `*.patch` file no manifest of DIR
    /// lists, or a `manifest.json` that is not one of ours — before any run work is done.
    @discardableResult
    public func prepare() throws(CoreError) -> [String] {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CoreError(.patchExport, "--patches \(directory) is a file, not a folder: name a folder for the patches")
            }
        } else {
            do {
                try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw CoreError(.patchExport, "cannot create the patch folder \(directory): \(error.localizedDescription)", underlying: error)
            }
        }
        let names: [String]
        do {
            names = try files.contentsOfDirectory(atPath: directory)
        } catch {
            throw CoreError(.patchExport, "cannot list the patch folder \(directory): \(error.localizedDescription)", underlying: error)
        }
        var ours: Set<String> = []
        if names.contains(Self.manifestName) {
            let path = directory + "/" + Self.manifestName
            guard let data = files.contents(atPath: path),
                let manifest = try? JSONDecoder().decode(Manifest.self, from: data), manifest.format == Self.format
            else {
                throw CoreError(.patchExport, "\(path) is not a stomper patch manifest: empty \(directory) or choose another folder")
            }
            ours = Set(manifest.patches.map(\.file))
        }
        if let foreign = names.filter({ $0.hasSuffix(".patch") && !ours.contains($0) }).sorted().first {
            throw CoreError(
                .patchExport,
                "\(directory)/\(foreign) was not written by stomper (no manifest there lists it); "
                    + "the patches of this run would be mixed with it: empty \(directory) or choose another folder")
        }
        return names.filter { ours.contains($0) }.sorted()
    }

    /// Writes one patch per commit, in branch order, then the manifest. Patch files an earlier
    /// export left (see `prepare`) are removed first. Blocking: call it from `BlockingIO.run`.
    public func write(
        _ commits: [Commit], runID: String, base: ObjectID, branch: String,
        repository: GitRepository
    ) throws -> Manifest {
        let keys = Dictionary(commits.map { ($0.id, $0.key) }, uniquingKeysWith: { $0 ?? $1 })
        let ordered = try repository.historyOrder(Set(keys.keys), since: base)
        let earlier = try prepare()
        do {
            for name in earlier { try FileManager.default.removeItem(atPath: directory + "/" + name) }
            try? FileManager.default.removeItem(atPath: directory + "/" + Self.manifestName)
        } catch {
            throw CoreError(.patchExport, "cannot remove an earlier export from \(directory): \(error.localizedDescription)", underlying: error)
        }
        var entries: [Entry] = []
        var contiguous = true
        var previous = base
        var tree = try repository.treeID(ofCommit: base)
        for (index, commit) in ordered.enumerated() {
            let mail = try repository.patchEmail(for: commit)
            if mail.parent != previous { contiguous = false }
            previous = commit
            tree = mail.tree
            let file = Self.fileName(number: index + 1, subject: mail.subject)
            try Self.writeFile(directory + "/" + file, mail.bytes)
            entries.append(
                Entry(
                    file: file, commit: commit.hex, parent: mail.parent?.hex, key: keys[commit]??.value,
                    subject: mail.subject, paths: mail.paths, sha256: sha256Hex(mail.bytes)))
        }
        let manifest = Manifest(
            format: Self.format, version: Self.version, runID: runID, base: base.hex, branch: branch,
            tip: previous.hex, tree: tree.hex, contiguous: contiguous, patches: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Self.writeFile(directory + "/" + Self.manifestName, Array(try encoder.encode(manifest)) + [0x0A])
        return manifest
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8]) throws(CoreError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CoreError(.patchExport, "cannot write \(path): \(error.localizedDescription)", underlying: error)
        }
    }

    /// `0001-fix-ruff-src-app.py-fix-1-diagnostic-F401.patch`, as `git format-patch` names it:
    /// the subject with every run of characters other than letters, digits, `.` and `_` made one
    /// `-`, runs of dots made one, no `-` or `.` at the end, the name cut at 64 characters with
    /// the suffix.
    public static func fileName(number: Int, subject: String) -> String {
        var slug: [UInt8] = []
        var pendingDash = false
        var bytes = Array(subject.utf8)[...]
        while let byte = bytes.popFirst() {
            let title =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            guard title else {
                if !slug.isEmpty { pendingDash = true }
                continue
            }
            if pendingDash { slug.append(UInt8(ascii: "-")) }
            pendingDash = false
            slug.append(byte)
            if byte == UInt8(ascii: ".") { while bytes.first == UInt8(ascii: ".") { bytes.removeFirst() } }
        }
        while let last = slug.last, last == UInt8(ascii: ".") || last == UInt8(ascii: "-") { slug.removeLast() }
        let suffix = ".patch"
        var name = String(format: "%04d", number) + "-" + String(decoding: slug, as: UTF8.self)
        if name.utf8.count > 64 - suffix.utf8.count - 1 { name = String(name.prefix(64 - suffix.utf8.count - 1)) }
        return name + suffix
    }
}
