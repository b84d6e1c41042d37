/// Writes the Markdown body of a source file's doc. The SHA header is not its business:
/// `DocRenderer.document(header:body:)` adds it, so no generator can get the gate wrong.
public protocol DocGenerator: Sendable {
    /// Short name used in configuration, results and the ledger (`outline`, `command`).
    var name: String { get }

    /// The doc's Markdown body for `request`. Throws `DocsError` when it cannot write one.
    func generate(_ request: DocRequest) async throws -> String
}
