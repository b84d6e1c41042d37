public import StomperAgents
public import StomperQuality
import Foundation
import Synchronization

/// An `Agent` for pipeline tests: its fix is a closure, it says what it can fix, and it keeps
/// every request it was given, so a test can assert who was asked what, how often.
///
/// The closure runs where a real agent's process would: it edits `request.path` inside
/// `request.worktree` (or does anything else a misbehaving agent might) and returns how the
/// attempt ended.
public final class FakeAgent: Agent {
    public typealias Fix = @Sendable (FixRequest) async throws -> AgentOutcome

    public let identity: AgentIdentity
    /// True by default: a fake writes only inside its worktree, so the pipeline need not snapshot
    /// the common git directory around it.
    public let isContained: Bool
    /// Whether the pipeline narrows this agent by rule (as it does autofix) instead of retrying it.
    public let narrowsByRule: Bool
    private let fixable: @Sendable (Diagnostic) -> Bool
    private let body: Fix
    private let requests = Mutex<[(request: FixRequest, text: String?)]>([])

    public init(
        name: String = "fake", settings: String = "", contained: Bool = true, narrowsByRule: Bool = false,
        canFix fixable: @escaping @Sendable (Diagnostic) -> Bool = { _ in true }, fix body: @escaping Fix
    ) {
        identity = AgentIdentity(kind: "fake", name: name, settings: settings)
        isContained = contained
        self.narrowsByRule = narrowsByRule
        self.fixable = fixable
        self.body = body
    }

    /// An agent that rewrites the target file's text with `transform` and reports success.
    public convenience init(
        name: String = "fake", settings: String = "", contained: Bool = true,
        canFix fixable: @escaping @Sendable (Diagnostic) -> Bool = { _ in true },
        rewrite transform: @escaping @Sendable (String) -> String
    ) {
        self.init(name: name, settings: settings, contained: contained, canFix: fixable) { request in
            try FakeAgent.rewrite(request, transform)
            return AgentOutcome(status: .completed)
        }
    }

    public func fix(_ request: FixRequest) async throws -> AgentOutcome {
        let text = FileManager.default.contents(atPath: request.worktree + "/" + request.path).map { String(decoding: $0, as: UTF8.self) }
        requests.withLock { $0.append((request, text)) }
        return try await body(request)
    }

    public func canFix(_ diagnostic: Diagnostic) -> Bool { fixable(diagnostic) }

    /// Every request, in the order the pipeline made them.
    public var calls: [FixRequest] { requests.withLock { $0.map(\.request) } }

    /// The target file's text as each call found it in its worktree (nil: there was none).
    public var filesSeen: [String?] { requests.withLock { $0.map(\.text) } }

    /// Replaces the text of the request's file in its worktree.
    public static func rewrite(_ request: FixRequest, _ transform: (String) -> String) throws {
        let url = URL(fileURLWithPath: request.worktree + "/" + request.path)
        let text = try String(contentsOf: url, encoding: .utf8)
        try Data(transform(text).utf8).write(to: url)
    }
}

extension String {
    /// The text without the markers of `codes` (`# ERR:E1`, `# FIX:E1`), as a fix would leave it.
    public func removingMarkers(_ codes: [String]) -> String {
        codes.reduce(self) { text, code in
            text.replacingOccurrences(of: "  # ERR:\(code)", with: "").replacingOccurrences(of: "  # FIX:\(code)", with: "")
        }
    }
}
