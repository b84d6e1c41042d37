#ifndef STOMPER_CLIBGIT2_SHIM_H
#define STOMPER_CLIBGIT2_SHIM_H

#include <git2.h>
/* An in-memory object store, so a job's diff can be built without writing objects to disk. */
#include <git2/sys/mempack.h>
/* git_repository_set_index: a diff handle gets an empty in-memory index instead of parsing the
   worktree's (megabytes on a large repository) just to look up attributes. */
#include <git2/sys/repository.h>

#if defined(__linux__)
/* The worktree pool watches its worktrees with inotify to learn what a job changed. */
#include <sys/inotify.h>
/* openat2(2): glibc 2.36 has no wrapper and syscall(2) is variadic, which Swift cannot call. */
#include <errno.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* git_libgit2_opts is variadic, which Swift cannot call; these fix its arguments. */
static inline int stomper_git_set_mwindow_mapped_limit(size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, bytes);
}

static inline int stomper_git_set_cache_max_size(ssize_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, bytes);
}

#if defined(__linux__)
/* openat2(2) with `resolve` flags (RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, ...). Returns the
   descriptor, or -1 with errno set (ENOSYS where the kernel predates 5.6). */
static inline int stomper_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
                                  unsigned long long resolve) {
#if defined(SYS_openat2)
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    errno = ENOSYS;
    return -1;
#endif
}
#endif

#endif
