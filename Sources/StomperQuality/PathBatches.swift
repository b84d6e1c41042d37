/// A list of paths cut into batches that each fit one command line.
///
/// Naming a whole tree file by file (`stomper land` of 10,000 fixes, `stomper check` of a long
/// list) passes two limits: bubblewrap refuses more than 9000 arguments in all, and the kernel
/// refuses an exec whose arguments and environment pass `ARG_MAX` (2 MiB on Linux by default).
/// A linter runs once per batch and its reports are joined; an empty list is one batch, which
/// the linters read as "the whole tree".
public enum PathBatches {
    /// Paths per batch by default: far below bubblewrap's 9000 arguments with the sandbox's own.
    public static let defaultCount = 1000
    /// Bytes of paths per batch by default: far below `ARG_MAX` with a large environment.
    public static let defaultBytes = 256 << 10

    /// `paths` in order, cut into batches of at most `count` paths and `bytes` bytes (a single
    /// path longer than `bytes` is a batch of its own).
    public static func split(_ paths: [String], count: Int = defaultCount, bytes: Int = defaultBytes) -> [[String]] {
        guard !paths.isEmpty else { return [[]] }
        var batches: [[String]] = []
        var current: [String] = []
        var size = 0
        for path in paths {
            let length = path.utf8.count + 1
            if !current.isEmpty && (current.count >= max(1, count) || size + length > bytes) {
                batches.append(current)
                current = []
                size = 0
            }
            current.append(path)
            size += length
        }
        batches.append(current)
        return batches
    }
}
