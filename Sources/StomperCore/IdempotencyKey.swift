import Crypto
public import StomperAgents
public import StomperGit
public import StomperQuality

/// `ik:<64 hex>`: SHA-256 over the canonical JSON of everything that decides a fix's result — the
/// file, its base content, its diagnostics, the agent, the tools and the configuration. Two runs
/// that would do the same work get the same key, on any machine.
public struct IdempotencyKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public let value: String

    /// A key read back from the ledger or a commit trailer.
    public init(stored value: String) {
        self.value = value
    }

    /// Encoded as the bare `ik:…` string. Outcomes stored by earlier builds hold `{"value": "ik:…"}`;
    /// both decode.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            value = text
        } else {
            value = try decoder.container(keyedBy: Wrapped.self).decode(String.self, forKey: .value)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    private enum Wrapped: String, CodingKey { case value }

    public init(
        path: String, baseBlob: ObjectID, diagnostics: [Diagnostic], agent: AgentIdentity,
        toolVersions: [String: String], configurationHash: String
    ) {
        let json = CanonicalJSON.object([
            "path": .string(path),
            "base_blob": .string(baseBlob.hex),
            "diagnostics": .array(diagnostics.sorted().map(Self.json)),
            "agent": .object(["kind": .string(agent.kind), "name": .string(agent.name), "settings": .string(agent.settings)]),
            "tool_versions": .object(toolVersions.mapValues { .string($0) }),
            "config_hash": .string(configurationHash),
        ])
        value = "ik:" + sha256Hex(json.text)
    }

    static func json(_ diagnostic: Diagnostic) -> CanonicalJSON {
        .object([
            "tool": .string(diagnostic.tool),
            "code": .string(diagnostic.code),
            "line": .int(diagnostic.line),
            "column": .int(diagnostic.column),
            "end_line": diagnostic.endLine.map { .int($0) } ?? .null,
            "end_column": diagnostic.endColumn.map { .int($0) } ?? .null,
            "message": .string(diagnostic.message),
        ])
    }

    public var description: String { value }
}

/// Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
public func sha256Hex(_ text: String) -> String {
    sha256Hex(Array(text.utf8))
}

public func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()
}
