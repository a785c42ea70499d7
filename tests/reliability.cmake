# Hostile input and heavy use (issue 5): C API misuse, concurrency and limits, the malformed-file
# suite, and fuzzing. Included from tests/CMakeLists.txt.
#
# Labels: api (C API misuse), concurrency, malformed (incl. metadata memory), fuzz_replay (fuzz regressions and seeds
# replayed through the targets without libFuzzer), fuzz (libFuzzer runs for a bounded time).
#
# Fuzzing needs clang. In an ordinary (g++) build the test `fuzz` runs tools/run-fuzz.sh, which
# configures a clang build with LONGHEADS_FUZZ=ON in ${PROJECT_BINARY_DIR}/fuzz-build and runs
# each target for LONGHEADS_CI_FUZZ_SECONDS. In that clang build (LONGHEADS_FUZZ=ON) the tests
# fuzz_<target> run the libFuzzer binaries for LONGHEADS_FUZZ_SECONDS each.

option(LONGHEADS_FUZZ "Build the libFuzzer targets (clang only; see tools/run-fuzz.sh)" OFF)
set(LONGHEADS_FUZZ_SECONDS 60 CACHE STRING "Seconds each fuzz_<target> test fuzzes (LONGHEADS_FUZZ builds)")
set(LONGHEADS_CI_FUZZ_SECONDS 20 CACHE STRING "Seconds per target for the `fuzz` test of ordinary builds")
option(LONGHEADS_FUZZ_IN_CTEST "Register the `fuzz` test (builds a clang tree) in ordinary builds" ON)

set(LH_REL_DIR ${CMAKE_CURRENT_SOURCE_DIR})
set(LH_REL_MODEL ${PROJECT_SOURCE_DIR}/models/stories260K.gguf)
set(LH_FUZZ_TARGETS gguf gguf_header model tokenize detokenize)

# Sanitizer runtime options for every test below (the options only matter in sanitizer builds).
set(LH_REL_ENV
  "ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:allocator_may_return_null=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  "TSAN_OPTIONS=suppressions=${LH_REL_DIR}/concurrency/tsan.supp:halt_on_error=0:exitcode=66:second_deadlock_stack=1:report_signal_unsafe=0")

if(NOT LONGHEADS_FUZZ)
  # ---- C API misuse: plain C, public header only, the shared library ----
  add_executable(api_misuse_test ${LH_REL_DIR}/api/api_misuse_test.c)
  target_link_libraries(api_misuse_test PRIVATE longheads m)
  add_test(NAME api_misuse COMMAND api_misuse_test ${LH_REL_MODEL})
  set_tests_properties(api_misuse PROPERTIES LABELS "api;unit" TIMEOUT 300 ENVIRONMENT "${LH_REL_ENV}")

  # ---- Concurrency and limits: C++ threads over the public header ----
  add_executable(concurrency_test ${LH_REL_DIR}/concurrency/concurrency_test.cpp)
  target_link_libraries(concurrency_test PRIVATE longheads Threads::Threads)
  if(LONGHEADS_SANITIZE STREQUAL "address")
    set(LH_CONC_ARGS --cycles 20 --no-rss-check)  # LeakSanitizer checks leaks; RSS means nothing here
  elseif(LONGHEADS_SANITIZE STREQUAL "thread")
    set(LH_CONC_ARGS --cycles 0 --rounds 1 --tokens 16)
  else()
    set(LH_CONC_ARGS --cycles 200)
  endif()
  add_test(NAME concurrency COMMAND concurrency_test --model ${LH_REL_MODEL} ${LH_CONC_ARGS})
  set_tests_properties(concurrency PROPERTIES LABELS "concurrency" TIMEOUT 1200 RUN_SERIAL TRUE
    ENVIRONMENT "${LH_REL_ENV}")

  # ---- Thread counts and the memory budget, each case in a child process ----
  add_executable(limits_test ${LH_REL_DIR}/concurrency/limits_test.cpp)
  target_link_libraries(limits_test PRIVATE longheads)
  set(LH_LIMITS_ARGS --model ${LH_REL_MODEL} --vocab-model ${LONGHEADS_SHARED_DIR}/models/llama-2-tiny-random.gguf)
  if(NOT LONGHEADS_SANITIZE STREQUAL "")
    list(APPEND LH_LIMITS_ARGS --sanitized)  # no address-space limits, no RSS bounds
  endif()
  add_test(NAME limits COMMAND limits_test ${LH_LIMITS_ARGS})
  set_tests_properties(limits PROPERTIES LABELS "concurrency" TIMEOUT 900 RUN_SERIAL TRUE ENVIRONMENT "${LH_REL_ENV}")

  # ---- Randomized API soak: random calls and interleavings across threads, bounded by time.
  # The seed is printed first (rerun with LONGHEADS_SOAK_SEED); the sanitizer build soaks longest.
  add_executable(soak_test ${LH_REL_DIR}/concurrency/soak_test.cpp)
  target_link_libraries(soak_test PRIVATE longheads Threads::Threads)
  if(LONGHEADS_SANITIZE STREQUAL "address")
    set(LH_SOAK_SECONDS 120)
  else()
    set(LH_SOAK_SECONDS 20)
  endif()
  add_test(NAME soak COMMAND soak_test --model ${LH_REL_MODEL} --seconds ${LH_SOAK_SECONDS})
  set_tests_properties(soak PROPERTIES LABELS "concurrency;soak" TIMEOUT 600 RUN_SERIAL TRUE ENVIRONMENT "${LH_REL_ENV}")

  # ---- Malformed files: generated at test time, checked through the CLI (and ctypes) ----
  set(LH_MALFORMED_ARGS --out ${CMAKE_CURRENT_BINARY_DIR}/malformed --cli $<TARGET_FILE:longheads_cli>)
  if(LONGHEADS_SANITIZE STREQUAL "")
    # ctypes cannot load a sanitized library without preloading the runtime: CLI only there.
    list(APPEND LH_MALFORMED_ARGS --lib $<TARGET_FILE:longheads>)
    if(LONGHEADS_PYTHON)
      # Valid files must also load through the Python binding.
      list(APPEND LH_MALFORMED_ARGS --python-path ${PROJECT_BINARY_DIR}/python)
    endif()
  endif()
  add_test(NAME malformed COMMAND ${LONGHEADS_TEST_PYTHON} ${LH_REL_DIR}/malformed/check_cases.py ${LH_MALFORMED_ARGS})
  set_tests_properties(malformed PROPERTIES LABELS "malformed" TIMEOUT 900 ENVIRONMENT "${LH_REL_ENV}")

  # ---- Metadata memory: the GGUF reader's heap (operator new counted) against the file's bytes ----
  add_executable(metadata_memory_test ${LH_REL_DIR}/malformed/metadata_memory_test.cpp)
  target_link_libraries(metadata_memory_test PRIVATE longheads_objects)
  add_test(NAME metadata_memory COMMAND metadata_memory_test ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(metadata_memory PROPERTIES LABELS "malformed" TIMEOUT 300 ENVIRONMENT "${LH_REL_ENV}")

  # ---- Model files that change under a loaded model, or are not regular files ----
  add_executable(file_changes_test ${LH_REL_DIR}/malformed/file_changes_test.cpp)
  target_link_libraries(file_changes_test PRIVATE longheads)
  add_test(NAME file_changes COMMAND file_changes_test --model ${LH_REL_MODEL} --dir ${CMAKE_CURRENT_BINARY_DIR}/file_changes)
  set_tests_properties(file_changes PROPERTIES LABELS "malformed" TIMEOUT 600 ENVIRONMENT "${LH_REL_ENV}")

  # ---- Non-finite weights and logits (check_tensors, LH_ERROR_NUMERIC) ----
  add_executable(non_finite_test ${LH_REL_DIR}/malformed/non_finite_test.cpp)
  target_link_libraries(non_finite_test PRIVATE longheads_objects)
  add_test(NAME non_finite COMMAND non_finite_test ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(non_finite PROPERTIES LABELS "malformed" TIMEOUT 300 ENVIRONMENT "${LH_REL_ENV}")
endif()

# ---- Fuzz targets ----
add_test(NAME fuzz_seeds COMMAND ${LONGHEADS_TEST_PYTHON} ${LH_REL_DIR}/fuzz/make_seeds.py
  ${CMAKE_CURRENT_BINARY_DIR}/fuzz-seeds ${LONGHEADS_SHARED_DIR}/models)
set_tests_properties(fuzz_seeds PROPERTIES LABELS "fuzz;fuzz_replay" FIXTURES_SETUP lh_fuzz_seeds TIMEOUT 300)

add_library(lh_fuzz_common OBJECT ${LH_REL_DIR}/fuzz/fuzz_common.cpp)
target_compile_definitions(lh_fuzz_common PRIVATE LH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  LH_SHARED_DIR="${LONGHEADS_SHARED_DIR}")

if(LONGHEADS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LONGHEADS_FUZZ needs clang (CC=clang CXX=clang++); tools/run-fuzz.sh sets it up")
  endif()
  # The library's sources again, with coverage instrumentation for libFuzzer.
  get_target_property(LH_FUZZ_CORE_SOURCES longheads_objects SOURCES)
  longheads_set_isa_flags(${LH_FUZZ_CORE_SOURCES})  # the kernel files keep their -m flags
  add_library(longheads_fuzz_core STATIC ${LH_FUZZ_CORE_SOURCES})
  target_compile_options(longheads_fuzz_core PUBLIC -fsanitize=fuzzer-no-link)
  target_compile_definitions(longheads_fuzz_core PUBLIC LH_BUILDING_LIBRARY)
  target_include_directories(longheads_fuzz_core PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(longheads_fuzz_core PUBLIC DNNL::dnnl TBB::tbb OpenMP::OpenMP_CXX Threads::Threads)
  target_link_libraries(lh_fuzz_common PUBLIC longheads_fuzz_core)
  add_custom_target(fuzz_targets)
  foreach(t ${LH_FUZZ_TARGETS})
    add_executable(fuzz_${t} ${LH_REL_DIR}/fuzz/fuzz_${t}.cpp)
    target_link_libraries(fuzz_${t} PRIVATE lh_fuzz_common longheads_fuzz_core)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz_targets fuzz_${t})
    set(LH_FUZZ_FLAGS -max_total_time=${LONGHEADS_FUZZ_SECONDS} -max_len=65536 -rss_limit_mb=2048
      -timeout=20 -print_final_stats=1 -artifact_prefix=${PROJECT_BINARY_DIR}/fuzz-artifacts/${t}-)
    if(t MATCHES "^(gguf|gguf_header|model)$")
      list(APPEND LH_FUZZ_FLAGS -dict=${LH_REL_DIR}/fuzz/gguf.dict)
    endif()
    # The first directory collects what the fuzzer finds (kept between runs); the others seed it.
    add_test(NAME fuzz_${t} COMMAND bash ${LH_REL_DIR}/fuzz/run_target.sh $<TARGET_FILE:fuzz_${t}> ${t}
      ${PROJECT_BINARY_DIR} ${LH_FUZZ_FLAGS} ${PROJECT_BINARY_DIR}/fuzz-corpus/${t}
      ${CMAKE_CURRENT_BINARY_DIR}/fuzz-seeds/${t} ${LH_REL_DIR}/fuzz/regressions/${t})
    math(EXPR LH_FUZZ_TIMEOUT "${LONGHEADS_FUZZ_SECONDS} * 3 + 300")
    set_tests_properties(fuzz_${t} PROPERTIES LABELS "fuzz" FIXTURES_REQUIRED lh_fuzz_seeds
      TIMEOUT ${LH_FUZZ_TIMEOUT} RUN_SERIAL TRUE ENVIRONMENT "${LH_REL_ENV}")
  endforeach()
else()
  # Without libFuzzer: the same targets as replay programs over the regressions and the seeds,
  # under whatever sanitizer this build uses.
  target_link_libraries(lh_fuzz_common PUBLIC longheads_objects)
  foreach(t ${LH_FUZZ_TARGETS})
    add_executable(fuzz_replay_${t} ${LH_REL_DIR}/fuzz/fuzz_${t}.cpp ${LH_REL_DIR}/fuzz/replay_main.cpp)
    target_link_libraries(fuzz_replay_${t} PRIVATE lh_fuzz_common longheads_objects)
    add_test(NAME fuzz_replay_${t} COMMAND fuzz_replay_${t} ${LH_REL_DIR}/fuzz/regressions/${t}
      ${CMAKE_CURRENT_BINARY_DIR}/fuzz-seeds/${t})
    set_tests_properties(fuzz_replay_${t} PROPERTIES LABELS "fuzz_replay" FIXTURES_REQUIRED lh_fuzz_seeds
      TIMEOUT 600 ENVIRONMENT "${LH_REL_ENV}")
  endforeach()

  # Bounded libFuzzer runs in a separate clang tree (ordinary builds only).
  find_program(LH_CLANGXX clang++)
  if(LONGHEADS_FUZZ_IN_CTEST AND LONGHEADS_SANITIZE STREQUAL "" AND LH_CLANGXX)
    add_test(NAME fuzz COMMAND bash ${PROJECT_SOURCE_DIR}/tools/run-fuzz.sh)
    math(EXPR LH_FUZZ_TIMEOUT "${LONGHEADS_CI_FUZZ_SECONDS} * 15 + 1800")
    set_tests_properties(fuzz PROPERTIES LABELS "fuzz" TIMEOUT ${LH_FUZZ_TIMEOUT} RUN_SERIAL TRUE
      ENVIRONMENT "LONGHEADS_FUZZ_SECONDS=${LONGHEADS_CI_FUZZ_SECONDS};LONGHEADS_FUZZ_BUILD_DIR=${PROJECT_BINARY_DIR}/fuzz-build;LONGHEADS_SHARED_DIR=${LONGHEADS_SHARED_DIR}")
  endif()
endif()
