#!/usr/bin/env bash
# Sanitizer builds and runs (issue 5). Fails on any report.
#   build-asan  (LONGHEADS_SANITIZE=address: ASan + UBSan + LeakSanitizer):
#               unit tests, C API misuse, concurrency (20 load/free cycles), malformed-file suite
#               through the CLI, metadata memory, changed model files, non-finite numbers,
#               thread and memory limits, and the fuzz regressions + seed corpus replayed.
#   build-tsan  (LONGHEADS_SANITIZE=thread): the concurrency test (8 contexts on 8 threads,
#               churn, busy detection, cancellation, budget), one thread per context.
#
#   tools/run-sanitizers.sh            # both
#   tools/run-sanitizers.sh asan       # or: tsan
# Environment: LONGHEADS_JOBS (2), LONGHEADS_ASAN_DIR (build-asan), LONGHEADS_TSAN_DIR (build-tsan).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${LONGHEADS_JOBS:-2}
which=${1:-all}
asan_dir=${LONGHEADS_ASAN_DIR:-build-asan}
tsan_dir=${LONGHEADS_TSAN_DIR:-build-tsan}
common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLONGHEADS_BINDINGS=OFF -DLONGHEADS_FUZZ_IN_CTEST=OFF
        -DPython3_EXECUTABLE=/usr/bin/python3)
rc=0
t0=$(date +%s)
# For tests without their own settings (the unit tests): the library turns a failed allocation
# into LH_ERROR_OUT_OF_MEMORY, so let ASan return NULL for absurd sizes instead of aborting.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$(pwd)/tests/concurrency/tsan.supp:halt_on_error=0:exitcode=66}

if [ "$which" = all ] || [ "$which" = asan ]; then
  echo "== ASan+UBSan: configure and build $asan_dir"
  cmake -S . -B "$asan_dir" "${common[@]}" -DLONGHEADS_SANITIZE=address >"$asan_dir.configure.log" 2>&1 ||
    { cat "$asan_dir.configure.log"; exit 1; }
  # One target at a time so a broken target does not hide the others' results (it still fails
  # the run).
  for t in api_misuse_test concurrency_test longheads_cli c_header_test metadata_memory_test file_changes_test \
           non_finite_test limits_test soak_test \
           fuzz_replay_gguf \
           fuzz_replay_gguf_header fuzz_replay_model fuzz_replay_tokenize fuzz_replay_detokenize unit_tests; do
    cmake --build "$asan_dir" -j"$jobs" --target "$t" >"$asan_dir.build-$t.log" 2>&1 ||
      { echo "build of $t failed:"; grep -E 'error|Error' "$asan_dir.build-$t.log" | head -20; rc=1; }
  done
  t1=$(date +%s)
  echo "== ASan+UBSan: tests (build took $((t1 - t0)) s)"
  ctest --test-dir "$asan_dir" --output-on-failure \
    -R '^(unit|c_header|api_misuse|concurrency|malformed|metadata_memory|file_changes|non_finite|limits|soak|fuzz_seeds|fuzz_replay_.*)$' || rc=1
  t2=$(date +%s)
  echo "== ASan+UBSan: tests took $((t2 - t1)) s"
  t0=$t2
fi

if [ "$which" = all ] || [ "$which" = tsan ]; then
  echo "== TSan: configure and build $tsan_dir"
  cmake -S . -B "$tsan_dir" "${common[@]}" -DLONGHEADS_SANITIZE=thread >"$tsan_dir.configure.log" 2>&1 ||
    { cat "$tsan_dir.configure.log"; exit 1; }
  cmake --build "$tsan_dir" -j"$jobs" --target concurrency_test >"$tsan_dir.build.log" 2>&1 ||
    { echo "build of concurrency_test failed:"; grep -E 'error|Error' "$tsan_dir.build.log" | head -20; rc=1; }
  t1=$(date +%s)
  echo "== TSan: concurrency test (build took $((t1 - t0)) s)"
  ctest --test-dir "$tsan_dir" --output-on-failure -R '^concurrency$' || rc=1
  t2=$(date +%s)
  echo "== TSan: test took $((t2 - t1)) s"
fi

if [ $rc -ne 0 ]; then echo "run-sanitizers: FAILED"; else echo "run-sanitizers: all clean"; fi
exit $rc
