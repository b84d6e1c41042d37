#ifndef STOMPER_CLIBGIT2_SHIM_H
#define STOMPER_CLIBGIT2_SHIM_H

#include <git2.h>

#if defined(__linux__)
/* The worktree pool watches its worktrees with inotify to learn what a job changed. */
#include <sys/inotify.h>
#endif

#endif
