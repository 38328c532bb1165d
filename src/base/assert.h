#pragma once
// MR_ASSERT: invariants only. Aborts with file:line. Never use it on untrusted input (manifests,
// quotes, CSRs, HTTP bodies): those get a Result error.

#include <cstdio>
#include <cstdlib>

#define MR_ASSERT(cond)                                                                   \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "assertion failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
