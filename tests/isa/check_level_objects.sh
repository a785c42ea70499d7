#!/usr/bin/env bash
# The per-level kernel objects (files *_avx2.cpp, *_avx512.cpp, *_avx512bf16.cpp, compiled with
# that level's -m flags) must not share code with the rest of the library: every global symbol
# they define lies in their level's namespace (an inline function or template instance outside
# it could be the copy the linker keeps for callers on any CPU), and they run no static
# initializer (it would execute at load time, on any CPU).
#   check_level_objects.sh OBJECT...   (non-level objects among them are ignored; an argument
#                                       may also be a ;-separated list, as CMake passes them)
set -euo pipefail
objects=()
for arg in "$@"; do
  IFS=';' read -ra parts <<<"$arg"
  objects+=("${parts[@]}")
done
checked=0
bad=0
for obj in "${objects[@]}"; do
  case "$obj" in
    *_avx512bf16.cpp.o) level=avx512bf16 ;;
    *_avx512.cpp.o) level=avx512 ;;
    *_avx2.cpp.o) level=avx2 ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  # Global (upper-case type) defined symbols, demangled.
  outside=$(nm -C --defined-only "$obj" | awk '$2 ~ /^[A-Z]$/ { $1 = ""; $2 = ""; print }' |
            grep -v "::${level}::" || true)
  if [ -n "$outside" ]; then
    echo "$obj: global symbols outside namespace ${level}:"
    echo "$outside" | sed 's/^/    /'
    bad=1
  fi
  if objdump -h "$obj" | grep -qE '\.init_array|\.ctors'; then
    echo "$obj: has a static initializer"
    bad=1
  fi
done
if [ "$checked" -eq 0 ]; then
  echo "no level objects among the arguments"
  exit 1
fi
echo "$checked level objects checked"
exit $bad
