import Foundation
import StomperLedger
import StomperTestSupport
import Testing

/// The typed documents of `status`, `runs`, `show` and `tail`: keys as printed, absent values
/// printed as null where the schemas want a null, stored JSON carried as it was stored.
@Suite(.tags(.unit)) struct RunDocumentsTests {
    static func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value)) as? [String: Any])
    }

    static let run = RunRecord(
        id: "run-1", status: .completed, branch: "main", baseCommit: "abc", configHash: "h", configJSON: "{}",
        toolVersions: "{\"ruff\":\"0.6.0\"}", agent: "{\"kind\":\"autofix\"}", snapshotID: "s", dryRun: true,
        pid: 42, host: "box", createdAt: "2026-12-05T12:00:00Z", updatedAt: "2026-12-05T12:01:00Z")

    @Test func aRunStateCountsADryRunsVerifiedFixesAsWouldFix() throws {
        let jobs = [
            JobRecord(
                runID: "run-1", path: "b.py", key: "k2", baseBlob: "b", diagnostics: "[]", state: .skipped(reason: "dry run"),
                outcome: "{\"path\":\"b.py\",\"status\":\"would_fix\"}", updatedAt: "t"),
            JobRecord(
                runID: "run-1", path: "a.py", key: "k1", baseBlob: "a", diagnostics: "[]", state: .skipped(reason: "untracked"),
                outcome: "{\"path\":\"a.py\",\"status\":\"skipped\"}", updatedAt: "t"),
            JobRecord(runID: "run-1", path: "c.py", key: "k3", baseBlob: "c", diagnostics: "[]", state: .planned, updatedAt: "t"),
        ]
        let state = RunState(Self.run, jobs: jobs, files: true)
        #expect(state.jobs == RunState.Jobs(total: 3, planned: 1, skipped: 1, wouldFix: 1))
        #expect(state.jobs.left == 1)
        #expect(state.files?.compactMap { $0["path"]?.string } == ["a.py", "b.py"])
        let object = try Self.object(state)
        #expect(object["finished_at"] is NSNull)
        #expect(object["schema_version"] as? Int == 2)
        #expect((object["tool_versions"] as? [String: Any])?["ruff"] as? String == "0.6.0")
        #expect((object["jobs"] as? [String: Any])?["would_fix"] as? Int == 1)
        #expect(try Self.object(RunState(Self.run, jobs: jobs))["files"] == nil)
    }

    @Test func anEventOfNoRunPrintsNullAndKeepsItsData() throws {
        let event = EventRecord(runID: nil, type: "docgen.finished", step: "docs", data: "{\"sourceHash\":\"x\",\"n\":1.5}")
        let object = try Self.object(EventDocument(event))
        #expect(object["run"] is NSNull && object["job"] is NSNull)
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["sourceHash"] as? String == "x" && data["n"] as? Double == 1.5)
        #expect(JSONValue(text: "not json") == .string("not json"))
        #expect(JSONValue(text: "[true, 2, null]") == .array([.bool(true), .int(2), .null]))
    }
}
