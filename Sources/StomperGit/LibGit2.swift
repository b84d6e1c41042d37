internal import Clibgit2
import Foundation

/// Process-wide libgit2 initialisation and error capture.
enum LibGit2 {
    /// `git_libgit2_init` is reference counted; calling it once for the life of the process is
    /// enough, and a lazily initialised static gives exactly-once semantics without a lock of ours.
    private static let initialised: Bool = {
        git_libgit2_init()
        // libgit2 keeps pack files mapped (up to 8 GiB on 64-bit) and caches up to 256 MiB of
        // objects; touched pages count as resident memory. stomper reads few objects per job, so
        // small bounds cost nothing and keep a long run's memory flat.
        _ = stomper_git_set_mwindow_mapped_limit(64 << 20)
        _ = stomper_git_set_cache_max_size(32 << 20)
        return true
    }()

    static func ensureInitialised() {
        _ = initialised
    }

    /// Turns a libgit2 return code into a thrown `GitError`.
    ///
    /// Must be called synchronously right after the call: `git_error_last()` is thread-local.
    static func check(
        _ result: Int32, _ what: @autoclosure () -> String, path: String? = nil,
        file: String = #fileID, line: UInt = #line
    ) throws(GitError) {
        guard result < 0 else { return }
        throw error(result, what(), path: path, file: file, line: line)
    }

    static func error(
        _ result: Int32, _ what: String, path: String? = nil, file: String = #fileID, line: UInt = #line
    ) -> GitError {
        let code: GitError.Code = result == GIT_ELOCKED.rawValue ? .indexLocked : .libgit2
        return GitError(code, "\(what) failed", path: path, libgit2: details(result), file: file, line: line)
    }

    /// `result` with the class and message of `git_error_last()`; called right after the call,
    /// like `check`.
    static func details(_ result: Int32) -> GitError.LibGit2Details {
        let last = git_error_last()
        return GitError.LibGit2Details(
            code: result,
            errorClass: last.map { $0.pointee.klass } ?? 0,
            message: last.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown error"
        )
    }
}

/// The libgit2 stomper runs with (the library loaded, not the headers it was built against).
public enum LibGit2Library {
    /// `major.minor.revision`, e.g. `1.5.1`.
    public static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        _ = git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}
