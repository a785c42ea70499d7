#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in a separate tree and fuzzes each one for a
# bounded time, starting from the generated seed corpus and tests/fuzz/regressions/. Fails on any
# finding; the input that triggered it is left in BUILD/fuzz-artifacts/ (copy it into
# tests/fuzz/regressions/<target>/ once the bug is fixed).
#
#   tools/run-fuzz.sh                 # 60 s per target into ./build-fuzz
#   LONGHEADS_FUZZ_SECONDS=20 tools/run-fuzz.sh
#   LONGHEADS_FUZZ_TARGETS="gguf model" tools/run-fuzz.sh
# Environment: LONGHEADS_FUZZ_SECONDS (60), LONGHEADS_FUZZ_BUILD_DIR (build-fuzz),
# LONGHEADS_FUZZ_TARGETS (all five), LONGHEADS_JOBS (2), LONGHEADS_SHARED_DIR (../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${LONGHEADS_FUZZ_SECONDS:-60}
build=${LONGHEADS_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${LONGHEADS_JOBS:-2}
targets=${LONGHEADS_FUZZ_TARGETS:-gguf gguf_header model tokenize detokenize}
shared=${LONGHEADS_SHARED_DIR:-$(pwd)/../shared}

# clang, its libFuzzer/sanitizer runtimes and libomp (the library's OpenMP under clang).
missing=()
for p in clang libclang-rt-dev libomp-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -ne 0 ]; then
  echo "run-fuzz: installing ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"; }
fi

start=$(date +%s)
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLONGHEADS_FUZZ=ON \
  -DLONGHEADS_SANITIZE=address -DLONGHEADS_BINDINGS=OFF -DLONGHEADS_FUZZ_SECONDS="$seconds" \
  -DLONGHEADS_SHARED_DIR="$shared" >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
build_targets=()
for t in $targets; do build_targets+=(--target "fuzz_$t"); done
cmake --build "$build" -j"$jobs" "${build_targets[@]}"
built=$(date +%s)

regex="^fuzz_seeds\$"
for t in $targets; do regex="$regex|^fuzz_$t\$"; done
rc=0
ctest --test-dir "$build" -R "$regex" --output-on-failure || rc=$?
done_at=$(date +%s)

echo
echo "fuzzing summary (${seconds} s per target; build $((built - start)) s, fuzzing $((done_at - built)) s):"
printf '  %-12s %12s %10s %8s %8s\n' target execs exec/s corpus result
for t in $targets; do
  log="$build/fuzz-logs/$t.log"
  [ -f "$log" ] || { printf '  %-12s %s\n' "$t" "no log"; continue; }
  execs=$(grep -oE 'stat::number_of_executed_units:[[:space:]]*[0-9]+' "$log" | tail -1 | awk '{print $2}')
  speed=$(grep -oE 'stat::average_exec_per_sec:[[:space:]]*[0-9]+' "$log" | tail -1 | awk '{print $2}')
  corpus=$(find "$build/fuzz-corpus/$t" -type f | wc -l)
  result=ok
  if grep -qE '^==[0-9]+==ERROR|runtime error|fuzz invariant broken|deadly signal|Test unit written' "$log"; then result=FINDING; fi
  printf '  %-12s %12s %10s %8s %8s\n' "$t" "${execs:-?}" "${speed:-?}" "$corpus" "$result"
done
ls "$build"/fuzz-artifacts/ 2>/dev/null | sed 's/^/  artifact: /' || true
exit $rc
