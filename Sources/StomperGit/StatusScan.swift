internal import Clibgit2

/// One entry of a status scan, reduced to what stomper needs.
struct StatusEntry: Hashable {
    var path: String
    var flags: UInt32

    var isUntracked: Bool { flags & GIT_STATUS_WT_NEW.rawValue != 0 }
    var isIgnored: Bool { flags & GIT_STATUS_IGNORED.rawValue != 0 }
}

enum StatusScan {
    /// Runs `git_status_list_new` comparing HEAD, index and working tree.
    ///
    /// Untracked directories are reported as one entry ending in `/` unless `flags` asks for
    /// recursion. `paths`, when given, limits the scan to exactly those paths.
    static func run(_ repo: RepositoryHandle, flags: UInt32, paths: [String]) throws(GitError) -> [StatusEntry] {
        var options = git_status_options()
        try LibGit2.check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "initialising status options")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = flags | (paths.isEmpty ? 0 : GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH.rawValue)
        var pathspec = CStringArray(paths)
        return try pathspec.withStrArray { (array) throws(GitError) -> [StatusEntry] in
            options.pathspec = array
            var list: OpaquePointer?
            try LibGit2.check(git_status_list_new(&list, repo.pointer, &options), "scanning the working tree status")
            defer { git_status_list_free(list) }
            var entries: [StatusEntry] = []
            let count = git_status_list_entrycount(list)
            entries.reserveCapacity(count)
            for index in 0..<count {
                guard let entry = git_status_byindex(list, index)?.pointee else { continue }
                let delta = entry.index_to_workdir ?? entry.head_to_index
                guard let delta else { continue }
                let newPath = delta.pointee.new_file.path.map { String(cString: $0) }
                let oldPath = delta.pointee.old_file.path.map { String(cString: $0) }
                guard let path = newPath ?? oldPath else { continue }
                entries.append(StatusEntry(path: path, flags: entry.status.rawValue))
                if let oldPath, oldPath != path {
                    entries.append(StatusEntry(path: oldPath, flags: entry.status.rawValue))
                }
            }
            return entries
        }
    }
}
