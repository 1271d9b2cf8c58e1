// Assertions for programmer errors (never for network, disk, RPC or config input).
//
//   FLEEK_ASSERT(cond)          always on, in every build: logs file:line and aborts.
//   FLEEK_ASSERT_MSG(cond, msg) the same with a fixed message.
//   FLEEK_DASSERT(cond)         only in builds without NDEBUG (expensive checks).
//
// An assertion turns a correctness bug into a crash, which is safer than continuing with
// corrupted state in a ledger or consensus core.
#pragma once

namespace fleek::detail {
[[noreturn]] void assert_fail(const char* condition, const char* message, const char* file, int line,
                              const char* function) noexcept;
}  // namespace fleek::detail

#define FLEEK_ASSERT(cond)                                                                      \
    ((cond) ? static_cast<void>(0)                                                              \
            : ::fleek::detail::assert_fail(#cond, nullptr, __FILE__, __LINE__, __func__))

#define FLEEK_ASSERT_MSG(cond, msg)                                                             \
    ((cond) ? static_cast<void>(0)                                                              \
            : ::fleek::detail::assert_fail(#cond, (msg), __FILE__, __LINE__, __func__))

#ifdef NDEBUG
#define FLEEK_DASSERT(cond) static_cast<void>(0)
#else
#define FLEEK_DASSERT(cond) FLEEK_ASSERT(cond)
#endif
