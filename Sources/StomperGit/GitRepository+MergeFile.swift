internal import Clibgit2

/// The outcome of a three-way merge of one file's contents.
public enum FileMerge: Sendable, Hashable {
    /// Both sides' changes combined without overlap: the merged bytes.
    case clean([UInt8])
    /// The sides changed the same lines (or a binary file both ways). For text, the merge with
    /// git's conflict markers, labelled with the path; for binary content, a sentence saying so.
    /// For messages only: never written as the file's content.
    case conflict(String)
}

extension GitRepository {
    /// Three-way merge of one file's contents with libgit2's `git_merge_file` (git's xdiff
    /// merge): `base` is the common ancestor, `ours` and `theirs` the two edited versions. `path`
    /// names the file in conflict markers; no attributes are read.
    ///
    /// When one side equals the base, or both sides are equal, the answer is the other side (or
    /// either), binary or not. Otherwise binary content (a NUL byte in the first 8000 bytes of
    /// any input, as git decides) is a conflict: there is no line-wise merge of it.
    public static func mergeFile(base: [UInt8], ours: [UInt8], theirs: [UInt8], path: String) throws(GitError) -> FileMerge {
        if ours == theirs || theirs == base { return .clean(ours) }
        if ours == base { return .clean(theirs) }
        LibGit2.ensureInitialised()
        var options = git_merge_file_options()
        try LibGit2.check(
            git_merge_file_options_init(&options, UInt32(GIT_MERGE_FILE_OPTIONS_VERSION)), "initialising merge options", path: path)
        var result = git_merge_file_result()
        defer { git_merge_file_result_free(&result) }
        let status = withInput(base, path: path) { ancestor in
            withInput(ours, path: path) { oursInput in
                withInput(theirs, path: path) { theirsInput in
                    "\(path) (base)".withCString { baseLabel in
                        "\(path) (ours)".withCString { ourLabel in
                            "\(path) (theirs)".withCString { theirLabel in
                                options.ancestor_label = baseLabel
                                options.our_label = ourLabel
                                options.their_label = theirLabel
                                return git_merge_file(&result, &ancestor, &oursInput, &theirsInput, &options)
                            }
                        }
                    }
                }
            }
        }
        try LibGit2.check(status, "merging the two versions of the file", path: path)
        let merged = result.ptr.map { Array(UnsafeRawBufferPointer(start: $0, count: result.len)) }
        if result.automergeable == 1 { return .clean(merged ?? []) }
        guard let merged else {
            return .conflict("\(path) is binary and both sides changed it; there is no line-wise merge: pick one side")
        }
        return .conflict(String(decoding: merged, as: UTF8.self))
    }

    /// A `git_merge_file_input` over `bytes`, valid inside `body`. Empty content still gets a
    /// valid pointer, as libgit2 reads `ptr` before it looks at `size`.
    private static func withInput(
        _ bytes: [UInt8], path: String, _ body: (inout git_merge_file_input) -> Int32
    ) -> Int32 {
        let storage = bytes.isEmpty ? [0] : bytes
        return storage.withUnsafeBufferPointer { buffer in
            path.withCString { cPath in
                var input = git_merge_file_input()
                _ = git_merge_file_input_init(&input, UInt32(GIT_MERGE_FILE_INPUT_VERSION))
                input.ptr = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                input.size = bytes.count
                input.path = cPath
                input.mode = 0o100644
                return body(&input)
            }
        }
    }
}
