import MCP

/// The tools `stomper mcp` serves, with their JSON input schemas (draft 2020-12 subsets every
/// client understands) and, where the output is the server's own, their output schemas. Tools
/// that answer with a CLI document name its schema (Config/schemas, docs/JSON.md).
enum ToolCatalog {
    static func tool(
        _ name: String, _ description: String, properties: [String: Value] = [:], required: [String] = [],
        readOnly: Bool, output: Value? = nil
    ) -> Tool {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return Tool(
            name: name, description: description, inputSchema: .object(schema),
            annotations: .init(readOnlyHint: readOnly, destructiveHint: readOnly ? nil : false, openWorldHint: false),
            outputSchema: output)
    }

    static func string(_ description: String) -> Value { .object(["type": "string", "minLength": 1, "description": .string(description)]) }
    static func strings(_ description: String) -> Value {
        .object(["type": "array", "items": .object(["type": "string", "minLength": 1]), "description": .string(description)])
    }
    static func boolean(_ description: String, default value: Bool) -> Value {
        .object(["type": "boolean", "default": .bool(value), "description": .string(description)])
    }
    static func integer(_ description: String, minimum: Int, maximum: Int) -> Value {
        .object(["type": "integer", "minimum": .int(minimum), "maximum": .int(maximum), "description": .string(description)])
    }
    static let run = string("A run: `latest`, an id from `runs`, or any unique prefix of one.")
    static let token = integer("The fencing token `claim` returned for the path.", minimum: 1, maximum: Int(Int64.max))
    static let ttl: Value = .object([
        "type": "number", "exclusiveMinimum": 0, "maximum": 3600,
        "description": "Lease lifetime in seconds (default: the CRIT_CODE class's TTL, 30 s).",
    ])

    static let lease: Value = .object([
        "type": "object", "required": ["path", "token", "holder", "acquired_at", "expires_at"],
        "properties": .object([
            "path": ["type": "string"], "token": ["type": "integer"], "holder": ["type": "string"],
            "acquired_at": ["type": "string"], "expires_at": ["type": "string"],
        ]),
    ])

    static let all: [Tool] = [
        tool(
            "check",
            "Lint the repository (or the given paths) and tell, per file, its diagnostics and what `fix` would do: fix (the configured fixer can fix them all), partial, needs_agent or skipped. Output: stomper's check report (check-report.schema.json).",
            properties: [
                "paths": strings("Files or folders, relative to the repository root (default: all)."),
                "codes": strings("Only these rule codes or code prefixes (F401, E7, arg-type)."),
            ],
            readOnly: true),
        tool(
            "fix",
            "Start a `stomper fix` run in the background and return its run id at once: each file with diagnostics is fixed in its own worktree, verified, and committed (one commit per file). A dry run (the default) verifies and shows diffs but commits nothing. With `wait` (or a progress token) the call returns when the run ends, with progress notifications per file and the run's report (fix-report.schema.json).",
            properties: [
                "paths": strings("Only these files or folders."),
                "agent": string(
                    "The fixer: autofix, command, claude, codex, aider, cursor-agent, gemini, opencode or chat (default: the configuration's)."),
                "parallel": integer("Files worked on at once.", minimum: 1, maximum: 64),
                "dry_run": boolean("Verify and show diffs, commit nothing.", default: true),
                "branch": string("Commit onto this branch only (created at HEAD if missing); HEAD, index and working tree untouched."),
                "wait": boolean("Return when the run ends, with its report.", default: false),
            ],
            readOnly: false,
            output: .object([
                "type": "object",
                "properties": .object([
                    "run_id": ["type": ["string", "null"]], "pid": ["type": "integer"], "dry_run": ["type": "boolean"],
                    "status": ["type": "string"], "report": ["type": "object"],
                ]),
            ])),
        tool(
            "status",
            "The state of a run (default: the current or last one): status, job counts and each finished file's outcome (run-state.schema.json).",
            properties: ["run": run], readOnly: true),
        tool(
            "show", "Everything the ledger holds about a run: its state, snapshot manifest, jobs and receipts (show.schema.json).",
            properties: ["run": run], required: ["run"], readOnly: true),
        tool(
            "runs", "The latest runs, newest first (runs.schema.json, as `runs`).",
            properties: ["limit": integer("How many runs.", minimum: 1, maximum: 1000)], readOnly: true),
        tool(
            "cancel",
            "Interrupt a run this server started, gracefully: files in flight finish or are left for `stomper resume`. Returns when it has stopped, with its report.",
            properties: ["run": string("The run id `fix` returned.")], required: ["run"], readOnly: false),
        tool(
            "locks", "The leases held on this repository now: path or resource, holder, fencing token, age and expiry (locks.schema.json).",
            readOnly: true),
        tool(
            "stats",
            "Contention per resource class (acquisitions, waits, expiries, stale refusals, renewals, writes), or with `learning` what stomper learnt per code and agent (stats.schema.json, learning.schema.json).",
            properties: ["learning": boolean("Show learning instead of contention.", default: false), "run": run], readOnly: true),
        tool(
            "docgen",
            "Regenerate the generated docs of the given files or folders (default: all), under the IDEMP_DOCS lease, in one docs commit (docgen.schema.json).",
            properties: ["paths": strings("Files or folders to document.")], readOnly: false),
        tool("docgen_status", "Recent docgen results from the ledger (docgen.schema.json).", readOnly: true),
        tool(
            "claim",
            "Lease files for editing: one CRIT_CODE lease per path with its fencing token. Waits up to the class's interactive maximum wait (0.5 s by default) for a path another holder has, then fails with that holder's name. Renew before `expires_at`; a lease not renewed runs out and may be taken over, after which your writes are refused.",
            properties: [
                "paths": strings("Files to lease, relative to the repository root."),
                "holder": string("Your name, shown to other clients and in `locks`."), "ttl_sec": ttl,
            ],
            required: ["paths", "holder"], readOnly: false,
            output: .object([
                "type": "object", "required": ["leases"], "properties": .object(["leases": .object(["type": "array", "items": lease])]),
            ])),
        tool(
            "write_file",
            "Replace a file's content, atomically and durably, only while `token` is still the path's current lease (else StaleVersion or NotHeld, and nothing is written). Never follows symbolic links; refuses paths outside the repository or under .git.",
            properties: [
                "path": string("The file, relative to the repository root."),
                "content": .object(["type": "string", "description": "The file's new content (UTF-8)."]), "token": token,
            ],
            required: ["path", "content", "token"], readOnly: false,
            output: .object([
                "type": "object", "required": ["path", "token", "bytes"],
                "properties": .object([
                    "path": ["type": "string"], "token": ["type": "integer"], "bytes": ["type": "integer"],
                ]),
            ])),
        tool(
            "renew", "Extend a lease you hold by its TTL (or `ttl_sec`) from now. Fails with StaleVersion when it was taken over.",
            properties: ["token": token, "ttl_sec": ttl], required: ["token"], readOnly: false, output: lease),
        tool("release", "Give up a lease.", properties: ["token": token], required: ["token"], readOnly: false, output: lease),
    ]

    /// The argument names each tool takes, for refusing unknown ones.
    static let arguments: [String: Set<String>] = Dictionary(
        uniqueKeysWithValues: all.map { tool in
            (tool.name, Set(tool.inputSchema.objectValue?["properties"]?.objectValue?.keys.map { $0 } ?? []))
        })
}
