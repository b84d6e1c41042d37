import Foundation
public import StomperGit

/// What `stomper fix --bundle DIR` leaves for `stomper land`: the shard's verified fixes as
/// commits on the plan's base in a git bundle, a manifest describing each fix, and the shard's
/// learning (an export of its ledger's cache and attempts).
///
/// DIR holds `stomper.bundle`, `ledger.sqlite` and `manifest.json`, written in that order: a
/// manifest present means the other two are complete, and it carries their SHA-256, so `land`
/// refuses a bundle that was changed, cut short or swapped on its way. A shard with nothing
/// landed writes a manifest with no fixes and no bundle.
public struct ShardBundle: Sendable {
    public static let manifestName = "manifest.json"
    public static let bundleName = "stomper.bundle"
    public static let ledgerName = "ledger.sqlite"
    public static let format = "stomper-shard-bundle"
    public static let version = 1

    /// One verified fix: the file, the blob it started from on the base and the blob the shard
    /// landed, and what the fix's receipt says.
    public struct Fix: Sendable, Hashable, Codable {
        public var path: String
        /// The fix's idempotency key (its commit's `Stomper-Key` trailer).
        public var key: String
        public var commit: String
        /// Every path the commit changes (`land` takes single-file fixes only).
        public var paths: [String]
        /// The file's blob at the shard's base, and the one the fix landed.
        public var baseBlob: String
        public var blob: String
        /// Diagnostics fixed, by code.
        public var diagnosticsFixed: [String: Int]
        public var agentCalls: Int
        public var agentSeconds: Double
        public var totalSeconds: Double
        public var cacheHit: Bool
        /// SHA-256 of the fix's diff, as its receipt in the shard's ledger has it.
        public var patchSHA256: String

        enum CodingKeys: String, CodingKey {
            case path, key, commit, paths, baseBlob = "base_blob", blob, diagnosticsFixed = "diagnostics_fixed"
            case agentCalls = "agent_calls", agentSeconds = "agent_seconds", totalSeconds = "total_seconds"
            case cacheHit = "cache_hit", patchSHA256 = "patch_sha256"
        }
    }

    /// `manifest.json`.
    public struct Manifest: Sendable, Hashable, Codable {
        public var format: String
        public var version: Int
        public var runID: String
        /// `I/N`, or nil for a run that was not sharded.
        public var shard: String?
        /// The commit every fix builds on: the bundle's prerequisite, which the lander must have.
        public var base: String
        /// The branch the shard landed on, and its tip (the bundle's ref).
        public var branch: String
        public var tip: String
        public var toolVersions: [String: String]
        public var agent: String
        public var configHash: String
        /// Files this shard planned (its part of the plan).
        public var planned: Int
        /// `stomper.bundle` and its SHA-256; nil when nothing landed.
        public var bundle: String?
        public var bundleSHA256: String?
        /// `ledger.sqlite` and its SHA-256; nil when the export failed or was not asked for.
        public var ledger: String?
        public var ledgerSHA256: String?
        /// In path order.
        public var fixes: [Fix]

        enum CodingKeys: String, CodingKey {
            case format, version, runID = "run_id", shard, base, branch, tip, toolVersions = "tool_versions", agent
            case configHash = "config_hash", planned, bundle, bundleSHA256 = "bundle_sha256", ledger
            case ledgerSHA256 = "ledger_sha256", fixes
        }
    }

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Creates DIR if missing. Refuses a file there, or a `manifest.json` that is not a shard
    /// bundle's (DIR then holds something else: choose another folder). Called before the run.
    public func prepare() throws(CoreError) {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CoreError(.bundle, "--bundle \(directory) is a file, not a folder: name a folder for the shard's bundle")
            }
            let manifest = directory + "/" + Self.manifestName
            if let data = files.contents(atPath: manifest) {
                guard let found = try? JSONDecoder().decode(Manifest.self, from: data), found.format == Self.format else {
                    throw CoreError(.bundle, "\(manifest) is not a stomper shard manifest: empty \(directory) or choose another folder")
                }
            }
        } else {
            do {
                try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw CoreError(.bundle, "cannot create the bundle folder \(directory): \(error.localizedDescription)", underlying: error)
            }
        }
    }

    /// Writes the bundle (every commit from `base` to `tip`, ref `refs/heads/<branch>`), then the
    /// ledger export (`exportLedger` writes it to the path it is given), then the manifest.
    /// Blocking except for `exportLedger`.
    public func write(
        _ manifest: Manifest, repository: GitRepository, exportLedger: (String) async throws -> Void
    ) async throws -> Manifest {
        var manifest = manifest
        let manifestPath = directory + "/" + Self.manifestName
        // An earlier manifest goes first: until the new one is written, DIR holds no complete bundle.
        unlink(manifestPath)
        let bundlePath = directory + "/" + Self.bundleName
        if manifest.fixes.isEmpty {
            unlink(bundlePath)
        } else {
            let base = try Self.objectID(manifest.base), tip = try Self.objectID(manifest.tip)
            let branch = manifest.branch
            let bytes = try await BlockingIO.run {
                try repository.writeBundle(tip: tip, ref: "refs/heads/" + branch, prerequisites: [base])
            }
            try Self.writeFile(bundlePath, bytes)
            manifest.bundle = Self.bundleName
            manifest.bundleSHA256 = sha256Hex(bytes)
        }
        let ledgerPath = directory + "/" + Self.ledgerName
        try await exportLedger(ledgerPath)
        if let bytes = FileManager.default.contents(atPath: ledgerPath) {
            manifest.ledger = Self.ledgerName
            manifest.ledgerSHA256 = sha256Hex(Array(bytes))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Self.writeFile(manifestPath, Array(try encoder.encode(manifest)) + [0x0A])
        return manifest
    }

    static func objectID(_ hex: String) throws(CoreError) -> ObjectID {
        guard let id = ObjectID(hex: hex) else { throw CoreError(.bundle, "\(hex.debugDescription) is not an object id") }
        return id
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(CoreError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CoreError(.bundle, "cannot write \(path): \(error.localizedDescription)", underlying: error)
        }
    }
}

/// A shard bundle read back and checked: its manifest, the bundle's bytes, the ledger export.
public struct LoadedShardBundle: Sendable {
    /// The folder it was read from.
    public var directory: String
    public var manifest: ShardBundle.Manifest
    /// Nil when the shard landed nothing.
    public var bytes: [UInt8]?
    /// The learning export's path, when the shard wrote one.
    public var ledgerPath: String?

    /// Reads the shard bundle `argument` names: its folder, its `manifest.json` or its
    /// `stomper.bundle`. Checks the format, the version and the SHA-256 of every file the
    /// manifest lists, and that the bundle needs no commit but the manifest's base.
    public static func load(_ argument: String) throws(CoreError) -> LoadedShardBundle {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw CoreError(.bundle, "no such shard bundle: \(argument) (name the folder `stomper fix --bundle` wrote)", subject: argument)
        }
        let directory = isDirectory.boolValue ? argument : (argument as NSString).deletingLastPathComponent
        let manifestPath = (directory.isEmpty ? "." : directory) + "/" + ShardBundle.manifestName
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw CoreError(
                .bundle, "\(argument) holds no \(ShardBundle.manifestName): a shard that did not finish writes none; run the shard again",
                subject: argument)
        }
        let manifest: ShardBundle.Manifest
        do {
            manifest = try JSONDecoder().decode(ShardBundle.Manifest.self, from: data)
        } catch {
            throw CoreError(.bundle, "\(manifestPath) is not a stomper shard manifest: \(error)", subject: argument, underlying: error)
        }
        guard manifest.format == ShardBundle.format else {
            throw CoreError(.bundle, "\(manifestPath) is a \(manifest.format.debugDescription) file, not a stomper shard manifest", subject: argument)
        }
        guard manifest.version <= ShardBundle.version else {
            throw CoreError(
                .bundle,
                "\(manifestPath) is version \(manifest.version) of the shard format; this stomper reads up to \(ShardBundle.version): upgrade stomper",
                subject: argument)
        }
        func read(_ name: String?, _ sha256: String?) throws(CoreError) -> [UInt8]? {
            guard let name else { return nil }
            guard !name.contains("/"), let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                throw CoreError(.bundle, "\(directory)/\(name), which the manifest lists, is missing: copy the whole folder", subject: argument)
            }
            let bytes = Array(data)
            guard sha256Hex(bytes) == sha256 else {
                throw CoreError(
                    .bundle,
                    "\(directory)/\(name) does not match its SHA-256 in the manifest: it was changed or cut short on its way; "
                        + "copy it again from the shard", subject: argument)
            }
            return bytes
        }
        let bytes = try read(manifest.bundle, manifest.bundleSHA256)
        _ = try read(manifest.ledger, manifest.ledgerSHA256)
        if let bytes {
            let header: GitBundleHeader
            do {
                header = try GitRepository.bundleHeader(bytes)
            } catch {
                throw CoreError(.bundle, "\(directory)/\(ShardBundle.bundleName) is not a git bundle: \(error)", subject: argument, underlying: error)
            }
            guard header.prerequisites.allSatisfy({ $0.hex == manifest.base }) else {
                throw CoreError(
                    .bundle, "\(directory)/\(ShardBundle.bundleName) needs commits other than the manifest's base \(manifest.base.prefix(12))",
                    subject: argument)
            }
        } else if !manifest.fixes.isEmpty {
            throw CoreError(.bundle, "\(manifestPath) lists fixes but no bundle", subject: argument)
        }
        return LoadedShardBundle(
            directory: directory, manifest: manifest, bytes: bytes, ledgerPath: manifest.ledger.map { directory + "/" + $0 })
    }
}
