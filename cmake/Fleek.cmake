# Helpers that give every module, test, fuzz target and benchmark the same shape.
#
#   fleek_library(<name> SOURCES ... [DEPS ...])  -> static library fleek_<name>, alias fleek::<name>
#   fleek_test(<name> SOURCES ... [DEPS ...])     -> GoogleTest executable registered with ctest
#   fleek_fuzz(<name> SOURCE <file> [DEPS ...])   -> libFuzzer target (FLEEK_FUZZ=ON, clang) or a
#                                                   replay/mutation driver run by ctest (default)
#   fleek_bench(<name> SOURCES ... [DEPS ...])    -> Google Benchmark executable (not a test)

option(FLEEK_WERROR "Treat warnings in our own code as errors" ON)
option(FLEEK_FUZZ "Build fuzz targets against libFuzzer (needs clang)" OFF)
set(FLEEK_FUZZ_REPLAY_ITERATIONS 20000 CACHE STRING "Mutated inputs each fuzz replay test runs")
# The release preset turns this off: `cmake --build --preset release` then compiles what the
# devnet, the simulator and the benchmarks run, not every test a second time (the debug preset
# builds and runs the tests under the sanitizers). A test target can still be built by name.
option(FLEEK_TESTS_IN_ALL "Build test and fuzz-replay executables as part of the default target" ON)

include(GoogleTest)

function(fleek_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                              -Wcast-qual -Wformat=2 -Wimplicit-fallthrough>)
  if(FLEEK_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endfunction()

function(fleek_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS;OWN_UNIT" ${ARGN})
  add_library(fleek_${name} STATIC ${ARG_SOURCES} ${ARG_OWN_UNIT})
  if(ARG_OWN_UNIT)  # see fleek_test
    set_source_files_properties(${ARG_OWN_UNIT} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endif()
  add_library(fleek::${name} ALIAS fleek_${name})
  target_include_directories(fleek_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(fleek_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  fleek_warnings(fleek_${name})
endfunction()

# Unity builds (CMAKE_UNITY_BUILD, on in the presets) compile a target's sources in batches: the
# headers are parsed and the shared templates generated once per batch instead of once per file.
# OWN_UNIT lists test sources compiled alone because their file-local helpers share names with
# another test of the same target.
function(fleek_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;OWN_UNIT" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${ARG_OWN_UNIT})
  if(ARG_OWN_UNIT)
    set_source_files_properties(${ARG_OWN_UNIT} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}")
  target_compile_definitions(${name} PRIVATE
    FLEEK_SOURCE_DIR="${PROJECT_SOURCE_DIR}" FLEEK_BINARY_DIR="${PROJECT_BINARY_DIR}")
  fleek_warnings(${name})
  if(NOT FLEEK_TESTS_IN_ALL)
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL TRUE)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    TEST_LIST ${name}_TESTS
    PROPERTIES TIMEOUT 300)
  # Labels go on after discovery, from a file ctest includes after the discovered tests: given as
  # a discovery PROPERTY, the list's semicolons split it and every label after the first was lost
  # (`ctest -L e2e` found nothing).
  # ctest runs 4 tests at once (the presets); an end-to-end test (label e2e: node processes, often
  # four of them) counts as 2 of the 4, so at most two run together on this 2-core machine.
  set(processors 1)
  if("e2e" IN_LIST ARG_LABELS)
    set(processors 2)
  endif()
  set(labels_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake")
  file(WRITE "${labels_file}"
    "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"unit;${ARG_LABELS}\" PROCESSORS ${processors})\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${labels_file}")
endfunction()

function(fleek_fuzz name)
  cmake_parse_arguments(ARG "" "SOURCE;ITERATIONS" "DEPS" ${ARGN})
  if(NOT ARG_ITERATIONS)
    set(ARG_ITERATIONS ${FLEEK_FUZZ_REPLAY_ITERATIONS})
  endif()
  set(target fuzz_${name})
  if(FLEEK_FUZZ)
    add_executable(${target} ${ARG_SOURCE})
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  else()
    if(NOT TARGET fleek_fuzz_replay_main)  # compiled once, linked into every replay driver
      add_library(fleek_fuzz_replay_main OBJECT "${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp")
      fleek_warnings(fleek_fuzz_replay_main)
    endif()
    add_executable(${target} ${ARG_SOURCE})
    target_link_libraries(${target} PRIVATE fleek_fuzz_replay_main)
    set(corpus "${PROJECT_SOURCE_DIR}/fuzz/corpus/${name}")
    add_test(NAME fuzz.${name}
             COMMAND ${target} --corpus "${corpus}" --iterations ${ARG_ITERATIONS} --seed 1)
    set_tests_properties(fuzz.${name} PROPERTIES LABELS "fuzz" TIMEOUT 600)
    if(NOT FLEEK_TESTS_IN_ALL)
      set_target_properties(${target} PROPERTIES EXCLUDE_FROM_ALL TRUE)
    endif()
  endif()
  target_link_libraries(${target} PRIVATE ${ARG_DEPS})
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}")
  fleek_warnings(${target})
endfunction()

function(fleek_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}")
  fleek_warnings(${name})
endfunction()
