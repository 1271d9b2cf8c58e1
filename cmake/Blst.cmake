# blst 0.3.10 (BLS12-381) built from the C and assembly sources inside the npm package
# @chainsafe/blst@0.2.11. The tarball is fetched with `npm pack` at configure time (or taken from
# a cache), checked against the registry's published sha512 integrity before anything in it is
# used, and unpacked into the build tree. Set BLST_SOURCE_DIR to use a vendored copy instead
# (the directory that holds src/server.c, build/assembly.S and bindings/blst.h).
#
# Defines the static library target blst::blst and the variable BLST_VECTORS_DIR (the RFC 9380
# hash-to-curve vectors shipped with blst).

set(FLEEK_BLST_NPM_PACKAGE "@chainsafe/blst@0.2.11")
# npm view @chainsafe/blst@0.2.11 dist.integrity =
#   sha512-URyOLq5GtxBoxibOnd2pgLydCy0UZzbiIIBcsRAvGxAsRzjZL04TsQfwRkz5aphU3a1ebeRoMmI/HHyMCiFSQg==
# which is this digest in hex:
set(FLEEK_BLST_SHA512 "511c8e2eae46b71068c626ce9ddda980bc9d0b2d146736e220805cb1102f1b102c4738d92f4e13b107f0464cf96a9854ddad5e6de46832623f1c7c8c0a215242")
set(BLST_SOURCE_DIR "" CACHE PATH "Vendored blst source directory (skips npm)")
option(FLEEK_BLST_PORTABLE "Build blst without ADX instructions (for CPUs without ADX)" OFF)

if(NOT BLST_SOURCE_DIR)
  if(DEFINED ENV{FLEEK_DEPS_CACHE})
    set(_blst_cache "$ENV{FLEEK_DEPS_CACHE}")
  elseif(DEFINED ENV{HOME})
    set(_blst_cache "$ENV{HOME}/.cache/fleek-deps")
  else()
    set(_blst_cache "${CMAKE_BINARY_DIR}/_deps")
  endif()
  set(_blst_tgz "${_blst_cache}/chainsafe-blst-0.2.11.tgz")
  set(_blst_unpacked "${CMAKE_BINARY_DIR}/_deps/blst-0.2.11")

  if(EXISTS "${_blst_tgz}")
    file(SHA512 "${_blst_tgz}" _blst_actual)
    if(NOT _blst_actual STREQUAL FLEEK_BLST_SHA512)
      message(STATUS "blst: cached tarball ${_blst_tgz} fails the integrity check; fetching again")
      file(REMOVE "${_blst_tgz}")
    endif()
  endif()
  if(NOT EXISTS "${_blst_tgz}")
    find_program(NPM_EXECUTABLE npm)
    if(NOT NPM_EXECUTABLE)
      message(FATAL_ERROR "blst: npm is required to fetch ${FLEEK_BLST_NPM_PACKAGE} "
                          "(scripts/setup-deps installs it), or set BLST_SOURCE_DIR to a vendored copy")
    endif()
    file(MAKE_DIRECTORY "${_blst_cache}")
    message(STATUS "blst: npm pack ${FLEEK_BLST_NPM_PACKAGE}")
    execute_process(
      COMMAND "${NPM_EXECUTABLE}" pack "${FLEEK_BLST_NPM_PACKAGE}" --silent --pack-destination "${_blst_cache}"
      RESULT_VARIABLE _blst_npm_result
      OUTPUT_VARIABLE _blst_npm_output
      ERROR_VARIABLE _blst_npm_error)
    if(NOT _blst_npm_result EQUAL 0 OR NOT EXISTS "${_blst_tgz}")
      message(FATAL_ERROR "blst: `npm pack ${FLEEK_BLST_NPM_PACKAGE}` failed (${_blst_npm_result}): ${_blst_npm_error}")
    endif()
  endif()

  file(SHA512 "${_blst_tgz}" _blst_actual)
  if(NOT _blst_actual STREQUAL FLEEK_BLST_SHA512)
    message(FATAL_ERROR "blst: integrity mismatch for ${_blst_tgz}\n  expected sha512 ${FLEEK_BLST_SHA512}\n  actual   sha512 ${_blst_actual}\nRefusing to build from it.")
  endif()

  if(NOT EXISTS "${_blst_unpacked}/package/blst/src/server.c")
    file(REMOVE_RECURSE "${_blst_unpacked}")
    file(ARCHIVE_EXTRACT INPUT "${_blst_tgz}" DESTINATION "${_blst_unpacked}")
  endif()
  set(BLST_SOURCE_DIR "${_blst_unpacked}/package/blst")
endif()

if(NOT EXISTS "${BLST_SOURCE_DIR}/src/server.c" OR NOT EXISTS "${BLST_SOURCE_DIR}/build/assembly.S")
  message(FATAL_ERROR "blst: ${BLST_SOURCE_DIR} does not hold src/server.c and build/assembly.S")
endif()

add_library(blst STATIC "${BLST_SOURCE_DIR}/src/server.c" "${BLST_SOURCE_DIR}/build/assembly.S")
add_library(blst::blst ALIAS blst)
target_include_directories(blst SYSTEM PUBLIC "${BLST_SOURCE_DIR}/bindings")
set_target_properties(blst PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_compile_options(blst PRIVATE $<$<COMPILE_LANGUAGE:C>:-fno-builtin>)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_options(blst PRIVATE -mno-avx)
  set(_blst_adx OFF)
  if(NOT FLEEK_BLST_PORTABLE AND EXISTS /proc/cpuinfo)
    file(STRINGS /proc/cpuinfo _blst_flags REGEX "^flags.* adx( |$)" LIMIT_COUNT 1)
    if(_blst_flags)
      set(_blst_adx ON)
    endif()
  endif()
  if(_blst_adx)
    target_compile_definitions(blst PRIVATE __ADX__)
  else()
    target_compile_definitions(blst PRIVATE __BLST_PORTABLE__)
  endif()
  message(STATUS "blst 0.3.10: ${BLST_SOURCE_DIR} (ADX: ${_blst_adx})")
endif()
set(BLST_VECTORS_DIR "${BLST_SOURCE_DIR}/bindings/vectors/hash_to_curve")
