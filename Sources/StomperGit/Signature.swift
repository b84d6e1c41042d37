/// Author and committer of landed commits.
public struct Signature: Sendable, Hashable {
    public var name: String
    public var email: String
    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// Used when the repository's git config names nobody.
    public static let fallback = Signature(name: "stomper", email: "stomper@localhost")
}
