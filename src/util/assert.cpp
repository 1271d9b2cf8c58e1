#include "util/assert.h"

#include <cstdio>
#include <cstdlib>

namespace fleek::detail {

void assert_fail(const char* condition, const char* message, const char* file, int line,
                 const char* function) noexcept {
    // stdio, not the logger: the logger may be the thing that is broken.
    std::fprintf(stderr, "FATAL: assertion failed: %s%s%s\n  at %s:%d in %s\n", condition,
                 message != nullptr ? ": " : "", message != nullptr ? message : "", file, line,
                 function);
    std::fflush(stderr);
    std::abort();
}

}  // namespace fleek::detail
