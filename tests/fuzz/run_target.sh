#!/usr/bin/env bash
# Runs one libFuzzer target (the CTest tests fuzz_<target>): its log goes to
# BUILD/fuzz-logs/TARGET.log, findings to BUILD/fuzz-artifacts/, new inputs to
# BUILD/fuzz-corpus/TARGET/ (kept between runs). Prints the final statistics; exits non-zero on
# any finding (crash, sanitizer report, leak, timeout, out-of-memory).
#   run_target.sh BINARY TARGET BUILD_DIR [libFuzzer flags and corpus dirs...]
set -uo pipefail
bin=$1 target=$2 build=$3
shift 3
mkdir -p "$build/fuzz-logs" "$build/fuzz-artifacts" "$build/fuzz-corpus/$target"
log="$build/fuzz-logs/$target.log"
"$bin" "$@" >"$log" 2>&1
rc=$?
grep -E '^(INFO: (Loaded|seed corpus)|#[0-9]+[[:space:]]+(INITED|DONE))|stat::|^(==|SUMMARY|ERROR|artifact_prefix|Test unit written)' "$log" | tail -n 40
if [ $rc -ne 0 ]; then
  echo "--- fuzz_$target failed (exit $rc); last lines of $log:"
  tail -n 80 "$log"
fi
exit $rc
