#ifndef STOMPER_CLIBGIT2_SHIM_H
#define STOMPER_CLIBGIT2_SHIM_H

#include <git2.h>

#endif
