# BLAKE3 from the official C sources that Debian ships in librust-blake3-dev, with the x86-64
# SIMD assembly (SSE2, SSE4.1, AVX2, AVX-512) and runtime CPU dispatch.
#
# Defines the static library target blake3::blake3. The internal header blake3_impl.h is on the
# include path because the content engine hashes many chunks at once through its internals;
# those internals are not a stable API, so the version is pinned below and checked by tests.

set(FLEEK_BLAKE3_VERSION "1.3.1")
set(FLEEK_BLAKE3_SOURCE_DIR "" CACHE PATH "Directory holding blake3.c and friends (default: Debian's copy)")

if(NOT FLEEK_BLAKE3_SOURCE_DIR)
  set(_blake3_candidate "/usr/share/cargo/registry/blake3-${FLEEK_BLAKE3_VERSION}/c")
  if(EXISTS "${_blake3_candidate}/blake3.c")
    set(FLEEK_BLAKE3_SOURCE_DIR "${_blake3_candidate}")
  endif()
endif()
if(NOT EXISTS "${FLEEK_BLAKE3_SOURCE_DIR}/blake3.c")
  message(FATAL_ERROR
    "BLAKE3 ${FLEEK_BLAKE3_VERSION} C sources not found. Install them with "
    "`apt-get install librust-blake3-dev` (or run ./scripts/setup-deps), or set "
    "FLEEK_BLAKE3_SOURCE_DIR to a directory holding blake3.c.")
endif()

file(STRINGS "${FLEEK_BLAKE3_SOURCE_DIR}/blake3.h" _blake3_version_line REGEX "#define BLAKE3_VERSION_STRING")
if(NOT _blake3_version_line MATCHES "\"${FLEEK_BLAKE3_VERSION}\"")
  message(FATAL_ERROR "BLAKE3 sources in ${FLEEK_BLAKE3_SOURCE_DIR} are not version ${FLEEK_BLAKE3_VERSION}: ${_blake3_version_line}")
endif()

set(_blake3_sources
  "${FLEEK_BLAKE3_SOURCE_DIR}/blake3.c"
  "${FLEEK_BLAKE3_SOURCE_DIR}/blake3_dispatch.c"
  "${FLEEK_BLAKE3_SOURCE_DIR}/blake3_portable.c")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  list(APPEND _blake3_sources
    "${FLEEK_BLAKE3_SOURCE_DIR}/blake3_sse2_x86-64_unix.S"
    "${FLEEK_BLAKE3_SOURCE_DIR}/blake3_sse41_x86-64_unix.S"
    "${FLEEK_BLAKE3_SOURCE_DIR}/blake3_avx2_x86-64_unix.S"
    "${FLEEK_BLAKE3_SOURCE_DIR}/blake3_avx512_x86-64_unix.S")
else()
  set(_blake3_defs BLAKE3_NO_SSE2 BLAKE3_NO_SSE41 BLAKE3_NO_AVX2 BLAKE3_NO_AVX512)
endif()

add_library(blake3 STATIC ${_blake3_sources})
add_library(blake3::blake3 ALIAS blake3)
target_include_directories(blake3 SYSTEM PUBLIC "${FLEEK_BLAKE3_SOURCE_DIR}")
target_compile_definitions(blake3 PRIVATE ${_blake3_defs})
set_target_properties(blake3 PROPERTIES POSITION_INDEPENDENT_CODE ON)
message(STATUS "BLAKE3 ${FLEEK_BLAKE3_VERSION} C sources: ${FLEEK_BLAKE3_SOURCE_DIR}")
