import Foundation

/// One shard of a run split over a CI matrix: shard `index` of `count` (`stomper fix --shard I/N`).
///
/// Invariant: `1 <= index <= count`. Every way to make one checks it (parsing, the environment,
/// decoding), so code that holds a `ShardSpec` never sees shard 0 or 4 of 3. Shards are numbered
/// from 1 as people and GitLab count; the 0-based indices of Buildkite and Kubernetes are
/// converted when read.
public struct ShardSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 1-based.
    public let index: Int
    public let count: Int

    /// Shard `index` of `count`; throws a `CoreError` (`invalidSetting`) outside `1...count`.
    public init(index: Int, count: Int) throws {
        try self.init(index: index, count: count, origin: .flag("--shard", "\(index)/\(count)"))
    }

    /// Parses `I/N` as given to `--shard` (white space around either number is ignored).
    /// The error names the input and what to write instead.
    public init(parsing text: String) throws {
        try self.init(parsing: text, origin: .flag("--shard", text))
    }

    /// `2/8`.
    public var label: String { "\(index)/\(count)" }

    /// `shard-2-of-8`: a name part for branches, artifacts and bundles that sorts and reads well.
    public var branchSuffix: String { "shard-\(index)-of-\(count)" }

    public var description: String { label }

    /// Decoded as `{"index": 2, "count": 8}`, checked like every other way in.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let index = try container.decode(Int.self, forKey: .index)
        let count = try container.decode(Int.self, forKey: .count)
        do {
            try self.init(index: index, count: count)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .index, in: container, debugDescription: "\(error)")
        }
    }

    private enum CodingKeys: String, CodingKey { case index, count }

    // MARK: The environment

    /// The shard the CI job is, from its environment; nil when nothing says so.
    ///
    /// Read in this order, the first that is set wins:
    /// 1. `STOMPER_SHARD=I/N`, explicit (`STOMPER_SHARD=1/1` switches the ones below off);
    /// 2. GitLab `parallel:` jobs: `CI_NODE_INDEX` (1-based) and `CI_NODE_TOTAL`, only when
    ///    `GITLAB_CI=true` (other tools use `CI_NODE_INDEX` 0-based, so the name alone is not
    ///    enough). GitLab also sets them for `parallel: matrix:` jobs: such a job that must not
    ///    shard sets `STOMPER_SHARD=1/1`;
    /// 3. Buildkite `parallelism`: `BUILDKITE_PARALLEL_JOB` (0-based) and
    ///    `BUILDKITE_PARALLEL_JOB_COUNT`, only when `BUILDKITE=true`;
    /// 4. Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based) with `STOMPER_SHARD_TOTAL`.
    ///    `JOB_COMPLETION_INDEX` alone gives nil: Kubernetes sets it for every pod of any Indexed
    ///    Job, and a job whose pods each run a whole stomper must not be split behind its back;
    ///    `STOMPER_SHARD_TOTAL` is the job's statement that its pods are stomper's shards (and the
    ///    only place N can come from: the pod does not see `completions`).
    ///
    /// GitHub Actions sets nothing per matrix entry: its workflow passes `--shard`.
    /// An empty variable counts as unset. A value that is set but unusable (not a number, out of
    /// range, one variable of a pair without the other) throws a `CoreError` (`invalidSetting`)
    /// naming the variable, rather than silently running every file in every shard.
    public static func fromEnvironment(_ env: [String: String]) throws -> ShardSpec? {
        func value(_ name: String) -> String? {
            guard let text = env[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let text = value("STOMPER_SHARD") {
            return try ShardSpec(parsing: text, origin: .variable("STOMPER_SHARD", text))
        }
        if CIEnvironment.truthy(env["GITLAB_CI"]),
            let spec = try pair(index: "CI_NODE_INDEX", count: "CI_NODE_TOTAL", firstIndex: 1, value)
        {
            return spec
        }
        if CIEnvironment.truthy(env["BUILDKITE"]),
            let spec = try pair(index: "BUILDKITE_PARALLEL_JOB", count: "BUILDKITE_PARALLEL_JOB_COUNT", firstIndex: 0, value)
        {
            return spec
        }
        if value("STOMPER_SHARD_TOTAL") != nil, value("JOB_COMPLETION_INDEX") == nil {
            throw CoreError(
                .invalidSetting,
                "STOMPER_SHARD_TOTAL is set but JOB_COMPLETION_INDEX is not: STOMPER_SHARD_TOTAL gives the number "
                    + "of shards of a Kubernetes Indexed Job (completionMode: Indexed); elsewhere set STOMPER_SHARD=I/N "
                    + "or pass --shard I/N",
                subject: "STOMPER_SHARD_TOTAL")
        }
        if value("JOB_COMPLETION_INDEX") != nil, value("STOMPER_SHARD_TOTAL") != nil {
            return try pair(index: "JOB_COMPLETION_INDEX", count: "STOMPER_SHARD_TOTAL", firstIndex: 0, value)
        }
        return nil
    }

    /// A CI system's index and total variables: nil when neither is set, an error naming the
    /// missing one when only one is. `firstIndex` is the number the system gives its first job.
    private static func pair(
        index indexName: String, count countName: String, firstIndex: Int, _ value: (String) -> String?
    ) throws -> ShardSpec? {
        let indexText = value(indexName)
        let countText = value(countName)
        switch (indexText, countText) {
        case (nil, nil):
            return nil
        case (let indexText?, let countText?):
            let origin = Origin.variables(index: (indexName, indexText), count: (countName, countText), firstIndex: firstIndex)
            guard let index = Int(indexText) else {
                throw CoreError(
                    .invalidSetting, "\(indexName)=\(indexText): not a whole number; it must be the job's index, from \(firstIndex)",
                    subject: indexName)
            }
            guard let count = Int(countText) else {
                throw CoreError(
                    .invalidSetting, "\(countName)=\(countText): not a whole number; it must be the number of parallel jobs",
                    subject: countName)
            }
            return try ShardSpec(index: index - firstIndex + 1, count: count, origin: origin)
        case (nil, _):
            throw CoreError(
                .invalidSetting, "\(countName) is set but \(indexName) is not: set both, or STOMPER_SHARD=I/N", subject: indexName)
        case (_, nil):
            throw CoreError(
                .invalidSetting, "\(indexName) is set but \(countName) is not: set both, or STOMPER_SHARD=I/N", subject: countName)
        }
    }

    // MARK: Checking

    /// Where a shard's numbers came from, so an error quotes the input as the user wrote it.
    private enum Origin {
        /// A flag and its text: `--shard 0/3`.
        case flag(String, String)
        /// A variable holding `I/N`: `STOMPER_SHARD=0/3`.
        case variable(String, String)
        /// A CI system's pair of variables, its index counted from `firstIndex`.
        case variables(index: (String, String), count: (String, String), firstIndex: Int)

        var quoted: String {
            switch self {
            case .flag(let name, let text): return "\(name) \(text)"
            case .variable(let name, let text): return "\(name)=\(text)"
            case .variables(let index, let count, _): return "\(index.0)=\(index.1) with \(count.0)=\(count.1)"
            }
        }

        var subject: String {
            switch self {
            case .flag(let name, _), .variable(let name, _): return name
            case .variables(let index, _, _): return index.0
            }
        }

        /// An index outside `1...count`: why, and what to write instead in the input's own terms
        /// (a CI system's pair gets its own numbering, not the 1-based one it was converted to).
        func outOfRange(_ reason: String, count: Int) -> String {
            switch self {
            case .flag:
                return "\(quoted): \(reason): " + (count == 1 ? "use 1/1" : "use 1/\(count) … \(count)/\(count)")
            case .variable(let name, _):
                return "\(quoted): \(reason): " + (count == 1 ? "use \(name)=1/1" : "use \(name)=1/\(count) … \(count)/\(count)")
            case .variables(let index, _, let firstIndex):
                return "\(quoted): \(index.0) must be from \(firstIndex) to \(count - 1 + firstIndex)"
            }
        }
    }

    private init(parsing text: String, origin: Origin) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else {
            throw CoreError(
                .invalidSetting, "\(origin.quoted): expected I/N, this shard's number and the number of shards, such as 2/8",
                subject: origin.subject)
        }
        guard let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw CoreError(
                .invalidSetting, "\(origin.quoted): I and N must be whole numbers, such as 2/8 for the second of 8 shards",
                subject: origin.subject)
        }
        try self.init(index: index, count: count, origin: origin)
    }

    private init(index: Int, count: Int, origin: Origin) throws {
        guard count >= 1 else {
            throw CoreError(
                .invalidSetting, "\(origin.quoted): the number of shards must be at least 1 (1 runs every file in one shard)",
                subject: origin.subject)
        }
        guard index >= 1 else {
            throw CoreError(.invalidSetting, origin.outOfRange("shards are numbered from 1", count: count), subject: origin.subject)
        }
        guard index <= count else {
            let reason = count == 1 ? "there is only 1 shard" : "there are only \(count) shards"
            throw CoreError(.invalidSetting, origin.outOfRange(reason, count: count), subject: origin.subject)
        }
        self.index = index
        self.count = count
    }
}
