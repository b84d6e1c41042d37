import StomperGit
import StomperQuality

/// The snapshot manifest of a run: its planned jobs (path, base blob, diagnostics, key), sorted by
/// path, as canonical JSON. Its id `snap-<12 hex>` is a hash of that text, so two runs that planned
/// the same work have the same snapshot id.
public struct Snapshot: Sendable, Hashable {
    public let id: String
    /// The manifest document (`Config/schemas/snapshot-manifest.schema.json`).
    public let manifest: String

    public init(runID: String, jobs: [FileJob]) {
        let entries = CanonicalJSON.array(
            jobs.sorted { $0.path < $1.path }.map { job in
                .object([
                    "path": .string(job.path),
                    "base_blob": .string(job.baseBlob.hex),
                    "diagnostics": .array(job.diagnostics.sorted().map(IdempotencyKey.json)),
                    "key": .string(job.key.value),
                ])
            })
        id = "snap-" + String(sha256Hex(entries.text).prefix(12))
        manifest =
            CanonicalJSON.object([
                "schema_version": .int(1), "id": .string(id), "run_id": .string(runID), "jobs": entries,
            ]).text
    }
}
