import Foundation

/// One configuration key: its name in `stomper.toml` (`fix.parallel`), its environment variable
/// (`STOMPER_FIX_PARALLEL`), its type, where it goes in the configuration, and two decisions every
/// setting must make (there are no defaults, so a new setting cannot be added without them):
///
/// - `affectsResults`: whether it can change what a fix produces. Those settings, and only those,
///   make up `StomperConfiguration.resultHash`, which is part of every idempotency key.
/// - `onResume`: whether `stomper resume` uses the run's stored value or today's.
///
/// A setting that affects results is always `.keepRun`: a resumed run's keys must match the ones
/// its jobs were planned with (a test checks this for the whole table).
public struct Setting: Sendable {
    public enum Kind: Sendable { case int(ClosedRange<Int>), bool, string, choice([String]), strings }

    /// What a resumed run uses.
    public enum OnResume: String, Sendable, CaseIterable {
        /// The value the interrupted run started with (stored in its ledger row).
        case keepRun = "run's"
        /// The value of today's configuration (`stomper.toml`, environment), e.g. a fixed endpoint.
        case takeToday = "today's"
    }

    public let key: String
    public let affectsResults: Bool
    public let onResume: OnResume
    public let kind: Kind
    public let help: String
    public let read: @Sendable (StomperConfiguration) -> SettingValue
    public let write: @Sendable (inout StomperConfiguration, SettingValue) -> Void

    public init(
        key: String, affectsResults: Bool, onResume: OnResume, kind: Kind, help: String,
        read: @escaping @Sendable (StomperConfiguration) -> SettingValue,
        write: @escaping @Sendable (inout StomperConfiguration, SettingValue) -> Void
    ) {
        self.key = key
        self.affectsResults = affectsResults
        self.onResume = onResume
        self.kind = kind
        self.help = help
        self.read = read
        self.write = write
    }

    public var environmentName: String {
        "STOMPER_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    public var section: String { String(key[..<key.lastIndex(of: ".")!]) }
    public var name: String { String(key[key.index(after: key.lastIndex(of: ".")!)...]) }

    public var typeName: String {
        switch kind {
        case .int: return "an integer"
        case .bool: return "true or false"
        case .string: return "a string"
        case .choice(let choices): return "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        case .strings: return "an array of strings"
        }
    }
}
