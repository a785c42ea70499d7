#!/usr/bin/env bash
# The installed library as its users meet it (CTest label install):
#  1. `cmake --install` into a staging prefix, then moved elsewhere (the tree is relocatable);
#     the library has its SONAME and exports only lh_* symbols;
#  2. the installed CLI runs from there, nothing on LD_LIBRARY_PATH (install RPATH);
#  3. a C program outside the source tree, built with find_package(longheads) and with
#     pkg-config, tokenizes as the CLI does; a project embedding the source tree with
#     add_subdirectory configures with longheads::longheads and without tests or bindings;
#  4. Python: the package cmake --install put under the prefix sits where /usr/bin/python3 looks
#     for the prefix /usr/local, and imports from there.
#
#   install_test.sh BUILD_DIR SOURCE_DIR MODEL LANGUAGES
# LANGUAGES: comma-separated bindings the build has (python,java,csharp).
# Environment: LONGHEADS_INSTALL_TEST_KEEP=1 keeps the temporary directory.
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
model=$(realpath "$3")
langs=",${4:-},"
work=$(mktemp -d /tmp/longheads-install-test.XXXXXX)
if [ "${LONGHEADS_INSTALL_TEST_KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
prefix=$work/prefix
unset LD_LIBRARY_PATH PYTHONPATH CLASSPATH MONO_PATH PKG_CONFIG_PATH
export OMP_WAIT_POLICY=PASSIVE
start=$SECONDS
step() { echo; echo "== [$((SECONDS - start)) s] $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
has() { [[ "$langs" == *",$1,"* ]]; }

step "cmake --install into a staging prefix, moved to $prefix"
cmake --install "$build" --prefix "$work/staging" >"$work/install.log"
mv "$work/staging" "$prefix"
lib=$(find "$prefix" -name 'liblongheads.so.0' -path '*/lib*/liblongheads.so.0' -not -path '*/longheads/*' | head -1)
[ -n "$lib" ] || fail "no liblongheads.so.0 under $prefix"
libdir=$(dirname "$lib")
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "liblongheads.so.0" ] || fail "SONAME is '$soname'"
exported=$(nm -D --defined-only "$lib" | awk '{print $NF}')
others=$(echo "$exported" | grep -v '^lh_' | grep -v '^LONGHEADS_[0-9]*$' || true)
[ -z "$others" ] || fail "exported beyond lh_*: $others"
count=$(echo "$exported" | grep -c '^lh_')
header_count=$(grep -c '^LH_API' "$source/include/longheads/longheads.h")
echo "exports: $count lh_* functions (the header declares $header_count), nothing else"
[ "$count" = "$header_count" ] || fail "exported $count lh_* functions, the header declares $header_count"

step "installed CLI"
cli=$prefix/bin/longheads
(cd "$work" && "$cli" --version)
expected=$("$cli" tokenize -m "$model" -p "Hello world" --json | /usr/bin/python3 -c \
  'import json, sys; print(" ".join(map(str, json.load(sys.stdin)["tokens"])))')
[ -n "$expected" ] || fail "the installed CLI tokenized nothing"
version=$("$cli" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
want="$version $expected"

step "C consumer with find_package(longheads)"
cp -r "$source/tests/install/consumer" "$work/consumer"
cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$work/consumer.log" || { cat "$work/consumer.log"; fail "consumer configure"; }
cmake --build "$work/consumer/build" >>"$work/consumer.log" || { cat "$work/consumer.log"; fail "consumer build"; }
got=$("$work/consumer/build/consumer" "$model" "Hello world")
[ "$got" = "$want" ] || fail "find_package consumer printed '$got', expected '$want'"
echo "$got"

step "C consumer with pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion longheads)" = "$version" ] || fail "pkg-config version"
# shellcheck disable=SC2046
cc -o "$work/consumer_pc" "$work/consumer/consumer.c" $(pkg-config --cflags longheads) \
  $(pkg-config --libs longheads) -Wl,-rpath,"$(pkg-config --variable=libdir longheads)"
got=$("$work/consumer_pc" "$model" "Hello world")
[ "$got" = "$want" ] || fail "pkg-config consumer printed '$got', expected '$want'"
echo "$got"
unset PKG_CONFIG_PATH

step "a project embedding the source tree with add_subdirectory (configure only)"
mkdir -p "$work/embed"
cat >"$work/embed/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.18)
project(embeds_longheads LANGUAGES C CXX)
add_subdirectory("$source" longheads)
add_executable(consumer "$work/consumer/consumer.c")
target_link_libraries(consumer PRIVATE longheads::longheads)
EOF
cmake -S "$work/embed" -B "$work/embed/build" >"$work/embed.log" || { cat "$work/embed.log"; fail "embed configure"; }
targets=$(cmake --build "$work/embed/build" --target help)
echo "$targets" | grep -q ' consumer$' || fail "the embedding project has no consumer target"
for unwanted in unit_tests longheads_cli longheads_python longheads_java longheads_csharp; do
  ! echo "$targets" | grep -q " $unwanted\$" || fail "embedded build has target $unwanted (should be off)"
done
echo "configured; targets: $(echo "$targets" | grep -c '^\.\.\. ') (no tests, CLI or bindings)"

mkdir -p "$work/elsewhere"
cd "$work/elsewhere"

if has python; then
  step "Python package installed by cmake --install"
  site=$(find "$prefix" -type d -name longheads -path '*-packages/*' | head -1)
  [ -n "$site" ] || fail "no Python package under $prefix"
  rel=${site#"$prefix"/}
  rel=${rel%/longheads}
  /usr/bin/python3 -c 'import sys; sys.exit(0 if sys.argv[1] in sys.path else 1)' "/usr/local/$rel" ||
    fail "/usr/local/$rel (the package's directory for the prefix /usr/local) is not on /usr/bin/python3's sys.path"
  echo "installed in $rel: on /usr/bin/python3's sys.path for the prefix /usr/local"
  PYTHONPATH=$(dirname "$site") /usr/bin/python3 -c \
    'import longheads; print("longheads", longheads.version(), longheads.cpu_level(), "from", longheads.__file__)'
fi

echo
echo "install test: all passed in $((SECONDS - start)) s"
