// Result<T, E>: the return type of every operation that can fail for an expected reason.
//
// It is tl::expected (Debian libexpected-dev), the same shape as C++23 std::expected, so a later
// switch is a rename. E is a small per-module error enum, or a struct holding such an enum and a
// message at the edges (CLI, config, key files) where a person reads the error.
//
// Bugs are not Results: they are FLEEK_ASSERT failures (util/assert.h).
#pragma once

#include <tl/expected.hpp>

#include <utility>

namespace fleek {

template <class T, class E>
using Result = tl::expected<T, E>;

// fail(e) builds the error side of any Result<T, E>: `return fail(CodecError::truncated);`.
template <class E>
[[nodiscard]] constexpr tl::unexpected<std::decay_t<E>> fail(E&& error) {
    return tl::unexpected<std::decay_t<E>>(std::forward<E>(error));
}

}  // namespace fleek
