/// Which files and diagnostics a run works on: path globs, a set of paths (from git), rule codes,
/// and limits. Pure: the same input always gives the same result.
///
/// Paths are relative to the repository root and slash-separated; a leading `./` is ignored.
public struct FileSelection: Sendable, Hashable, Codable {
    /// Globs a path must match (any of them); empty means every path. See `Glob`.
    public var patterns: [String]
    /// Globs that remove a path even when `patterns` selected it.
    public var excludes: [String]
    /// When set, only these paths (typically git's changed files); nil means no restriction.
    public var onlyPaths: Set<String>?
    /// Codes or code prefixes to keep (`F` keeps `F401`); empty keeps every code. Case-sensitive.
    public var errorTypes: [String]
    /// Codes or code prefixes to drop; wins over `errorTypes`.
    public var ignore: [String]
    /// At most this many files, the first in path order.
    public var maxFiles: Int?
    /// Whole files, in path order, while their diagnostics add up to at most this many; see `apply`.
    public var maxErrors: Int?

    public init(
        patterns: [String] = [], excludes: [String] = [], onlyPaths: Set<String>? = nil, errorTypes: [String] = [],
        ignore: [String] = [], maxFiles: Int? = nil, maxErrors: Int? = nil
    ) {
        self.patterns = patterns
        self.excludes = excludes
        self.onlyPaths = onlyPaths
        self.errorTypes = errorTypes
        self.ignore = ignore
        self.maxFiles = maxFiles
        self.maxErrors = maxErrors
    }

    /// The path-level part of the selection (patterns, excludes, `onlyPaths`), so a plan can skip
    /// files before linting them.
    public func matchesPath(_ path: String) -> Bool {
        pathExclusionReason(Self.normalised(path)) == nil
    }

    /// Whether a diagnostic with `code` is kept by `errorTypes` and `ignore`.
    public func keeps(code: String) -> Bool {
        (errorTypes.isEmpty || errorTypes.contains { code.hasPrefix($0) }) && !ignore.contains { code.hasPrefix($0) }
    }

    /// Keeps the selected diagnostics of the selected files.
    ///
    /// Order of the steps: codes (`errorTypes`, `ignore`) first, so a file whose diagnostics are
    /// all dropped simply disappears and is not reported as excluded; then the path filters;
    /// then the limits, over the remaining files in sorted path order. A file's diagnostics are
    /// never split. `maxErrors` keeps files while the running total stays within the limit and
    /// stops at the first file that would exceed it (later, smaller files are not picked instead:
    /// the selection stays a prefix of the sorted list, stable from one run to the next). The first
    /// file is always kept even if it alone has more than `maxErrors` diagnostics, so a limit below
    /// one file's count still makes progress. A limit of 0 or less selects nothing.
    public func apply(_ byFile: [String: [Diagnostic]]) -> SelectionResult {
        var result = SelectionResult()
        var keptErrors = 0
        var stop: String?
        for path in byFile.keys.sorted() {
            let kept = (byFile[path] ?? []).filter { keeps(code: $0.code) }
            guard !kept.isEmpty else { continue }
            if let reason = pathExclusionReason(Self.normalised(path)) {
                result.excluded[path] = reason
                continue
            }
            if let stop {
                result.excluded[path] = stop
                continue
            }
            if let maxFiles, result.files.count >= maxFiles {
                stop = "beyond --max-files \(maxFiles)"
            } else if let maxErrors, maxErrors <= 0 || (!result.files.isEmpty && keptErrors + kept.count > maxErrors) {
                stop = "beyond --max-errors \(maxErrors)"
            }
            if let stop {
                result.excluded[path] = stop
                continue
            }
            result.files[path] = kept.sorted()
            keptErrors += kept.count
        }
        return result
    }

    private func pathExclusionReason(_ path: String) -> String? {
        if let onlyPaths, !onlyPaths.contains(path) && !onlyPaths.contains("./" + path) {
            return "not among the selected paths"
        }
        if !patterns.isEmpty && !patterns.contains(where: { Glob($0).matches(path) }) {
            return "matches none of the patterns \(patterns.joined(separator: ", "))"
        }
        if let exclude = excludes.first(where: { Glob($0).matches(path) }) {
            return "excluded by \(exclude)"
        }
        return nil
    }

    static func normalised(_ path: String) -> String {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        return String(path)
    }
}

/// What `FileSelection.apply` kept and what it left out.
public struct SelectionResult: Sendable, Hashable {
    /// The kept diagnostics by path, each list sorted; no file has an empty list.
    public var files: [String: [Diagnostic]] = [:]
    /// Paths that had selected diagnostics but were left out, with the reason
    /// (`beyond --max-files 10`, `excluded by tests/**`).
    public var excluded: [String: String] = [:]

    public init(files: [String: [Diagnostic]] = [:], excluded: [String: String] = [:]) {
        self.files = files
        self.excluded = excluded
    }

    /// Sorted paths of the kept files.
    public var paths: [String] { files.keys.sorted() }
    public var diagnosticCount: Int { files.values.reduce(0) { $0 + $1.count } }
}

/// A path glob, matched against slash-separated paths relative to the root.
///
/// `*` matches any characters but `/`, `?` one character but `/`, `[abc]`/`[a-z]`/`[!abc]` one
/// character of (or not of) a set. A `**` segment matches any number of folders, none included
/// (`src/**/*.py` matches `src/a.py` and `src/x/y/a.py`). A pattern without `/` matches a file or
/// folder name at any depth (`*.sh`, `vendor`); a pattern with `/` is anchored at the root (a
/// leading `/` or `./` is ignored). A pattern that matches a folder matches everything under it
/// (`src` and `src/` both select `src/a/b.py`).
public struct Glob: Sendable, Hashable {
    public let pattern: String
    private let segments: [Substring]

    public init(_ pattern: String) {
        self.pattern = pattern
        var text = Substring(pattern)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        let anchored = text.contains("/")
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        var segments = text.split(separator: "/", omittingEmptySubsequences: true)
        if !anchored { segments.insert("**", at: 0) }
        self.segments = segments
    }

    public func matches(_ path: String) -> Bool {
        var path = Substring(path)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.isEmpty else { return false }
        var memo: [Int: Bool] = [:]
        return match(0, 0, parts, &memo)
    }

    /// Whether `segments[s...]` matches a prefix of `parts[p...]` that is all of it or ends at a
    /// folder (so a folder pattern matches what is under it).
    private func match(_ s: Int, _ p: Int, _ parts: [Substring], _ memo: inout [Int: Bool]) -> Bool {
        let key = s * (parts.count + 1) + p
        if let known = memo[key] { return known }
        let result: Bool
        if s == segments.count {
            result = p > 0
        } else if segments[s] == "**" {
            result = match(s + 1, p, parts, &memo) || (p < parts.count && match(s, p + 1, parts, &memo))
        } else {
            result = p < parts.count && Self.matchSegment(segments[s], parts[p]) && match(s + 1, p + 1, parts, &memo)
        }
        memo[key] = result
        return result
    }

    /// `*`, `?` and `[…]` within one path segment.
    static func matchSegment(_ pattern: Substring, _ name: Substring) -> Bool {
        let pattern = Array(pattern)
        let name = Array(name)
        var pi = 0, ni = 0
        var starPattern = -1, starName = 0
        while ni < name.count {
            if pi < pattern.count, pattern[pi] == "*" {
                starPattern = pi
                starName = ni
                pi += 1
                continue
            }
            if pi < pattern.count {
                let (matched, next) = matchOne(pattern, pi, name[ni])
                if matched {
                    pi = next
                    ni += 1
                    continue
                }
            }
            guard starPattern >= 0 else { return false }
            // Let the last `*` absorb one more character and retry.
            starName += 1
            ni = starName
            pi = starPattern + 1
        }
        while pi < pattern.count, pattern[pi] == "*" { pi += 1 }
        return pi == pattern.count
    }

    /// Whether the pattern element at `index` (a literal, `?` or a `[…]` set) matches `character`,
    /// and the index after that element.
    private static func matchOne(_ pattern: [Character], _ index: Int, _ character: Character) -> (Bool, Int) {
        switch pattern[index] {
        case "?":
            return (true, index + 1)
        case "[":
            var cursor = index + 1
            var negated = false
            if cursor < pattern.count, pattern[cursor] == "!" || pattern[cursor] == "^" {
                negated = true
                cursor += 1
            }
            var found = false
            var first = true
            while cursor < pattern.count, pattern[cursor] != "]" || first {
                first = false
                if cursor + 2 < pattern.count, pattern[cursor + 1] == "-", pattern[cursor + 2] != "]" {
                    if pattern[cursor] <= character && character <= pattern[cursor + 2] { found = true }
                    cursor += 3
                } else {
                    if pattern[cursor] == character { found = true }
                    cursor += 1
                }
            }
            // An unclosed `[` is a literal.
            guard cursor < pattern.count else { return (character == "[", index + 1) }
            return (found != negated, cursor + 1)
        default:
            return (pattern[index] == character, index + 1)
        }
    }
}
