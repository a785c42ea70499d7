#!/usr/bin/env bash
# The installed library as its users meet it (CTest label install):
#  1. `cmake --install` into a staging prefix, then moved elsewhere (the tree is relocatable);
#     the library has its SONAME and exports only lh_* symbols;
#  2. the installed CLI runs from there, nothing on LD_LIBRARY_PATH (install RPATH);
#  3. a C program outside the source tree, built with find_package(longheads) and with
#     pkg-config, tokenizes as the CLI does; a project embedding the source tree with
#     add_subdirectory configures with longheads::longheads and without tests or bindings;
#  4. Python: the package cmake --install put under the prefix sits where /usr/bin/python3 looks
#     for the prefix /usr/local, and imports from there; `pip install` of the source tree into a
#     fresh venv (--system-site-packages) runs the Python example;
#  5. the Java and C# examples, compiled and run from copies in an unrelated directory against
#     the installed jar and the installed assembly directory only; the pom and the .nupkg.
#
#   install_test.sh BUILD_DIR SOURCE_DIR MODEL LANGUAGES
# LANGUAGES: comma-separated bindings the build has (python,java,csharp).
# Environment: LONGHEADS_PIP_CMAKE_ARGS extra CMake arguments of the pip build (e.g. ccache);
# LONGHEADS_INSTALL_TEST_KEEP=1 keeps the temporary directory.
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
zip_names() { /usr/bin/python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }

step "cmake --install into a staging prefix, moved to $prefix"
cmake --install "$build" --prefix "$work/staging" >"$work/install.log"
mv "$work/staging" "$prefix"
# The version from the header; the SONAME policy of docs/ABI.md: liblongheads.so.MAJOR.
header_version() { awk -v k="LH_VERSION_$1" '$1 == "#define" && $2 == k {print $3}' "$source/include/longheads/longheads.h"; }
major=$(header_version MAJOR) minor=$(header_version MINOR) patch=$(header_version PATCH)
version=$major.$minor.$patch
soversion=$major
soname=liblongheads.so.$soversion
lib=$(find "$prefix" -name "$soname" -not -path '*/longheads/*' | head -1)
[ -n "$lib" ] || fail "no $soname under $prefix: $(find "$prefix" -name 'liblongheads.so*')"
libdir=$(dirname "$lib")
recorded=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$recorded" = "$soname" ] || fail "SONAME is '$recorded', expected $soname (version $version)"
echo "version $version, SONAME $soname"
exported=$(nm -D --defined-only "$lib" | awk '{sub(/@.*/, "", $NF); print $NF}')
others=$(grep -v '^lh_' <<<"$exported" | grep -vx "LONGHEADS_$soversion" || true)
[ -z "$others" ] || fail "exported beyond lh_*: $others"
count=$(grep -c '^lh_' <<<"$exported")
# The header's LH_API functions, and the names its function-like macros replaced (the library
# keeps exporting those for programs built against 0.1.0).
header=$source/include/longheads/longheads.h
declared=$( (grep '^LH_API' "$header" | grep -oE '\blh_[a-z0-9_]+\('
             grep -oE '^#define lh_[a-z0-9_]+\(' "$header" | sed 's/^#define //') | tr -d '(' | sort -u)
diff <(echo "$declared") <(grep '^lh_' <<<"$exported" | sort) >"$work/exports.diff" ||
  { cat "$work/exports.diff"; fail "the exported lh_* functions differ from the header's declarations"; }
grep -q " lh_version@@LONGHEADS_$soversion\$" <<<"$(nm -D --defined-only --with-symbol-versions "$lib")" ||
  fail "lh_version is not in the version node LONGHEADS_$soversion"
echo "exports: the header's $count lh_* functions and macro names, in version node LONGHEADS_$soversion, nothing else"

step "installed CLI"
cli=$prefix/bin/longheads
(cd "$work" && "$cli" --version)
expected=$("$cli" tokenize -m "$model" -p "Hello world" --json | /usr/bin/python3 -c \
  'import json, sys; print(" ".join(map(str, json.load(sys.stdin)["tokens"])))')
[ -n "$expected" ] || fail "the installed CLI tokenized nothing"
cli_version=$("$cli" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
[ "$cli_version" = "$version" ] || fail "the CLI says version $cli_version, the header $version"
want="$version $expected"

step "C consumer with find_package(longheads)"
cp -r "$source/tests/install/consumer" "$work/consumer"
cmake -S "$work/consumer" -B "$work/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DLONGHEADS_WANTED="$major.$minor" >"$work/consumer.log" || { cat "$work/consumer.log"; fail "consumer configure"; }
cmake --build "$work/consumer/build" >>"$work/consumer.log" || { cat "$work/consumer.log"; fail "consumer build"; }
got=$("$work/consumer/build/consumer" "$model" "Hello world")
[ "$got" = "$want" ] || fail "find_package consumer printed '$got', expected '$want'"
echo "$got"
# Another major version is another ABI: the package refuses a request for it.
other=$((major + 1)).0
if cmake -S "$work/consumer" -B "$work/consumer/build_other" -DCMAKE_PREFIX_PATH="$prefix" \
     -DLONGHEADS_WANTED="$other" >"$work/consumer_other.log" 2>&1; then
  fail "find_package(longheads $other) accepted version $version"
fi
echo "find_package(longheads $other) refused, as it should be"

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
grep -q ' consumer$' <<<"$targets" || fail "the embedding project has no consumer target"
for unwanted in unit_tests longheads_cli longheads_python longheads_java longheads_csharp; do
  ! grep -q " $unwanted\$" <<<"$targets" || fail "embedded build has target $unwanted (should be off)"
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

  step "pip install of the source tree into a fresh venv"
  /usr/bin/python3 -m venv --system-site-packages "$work/venv"
  pip_args=(--no-index --no-deps)
  if [ -n "${LONGHEADS_PIP_CMAKE_ARGS:-}" ]; then pip_args+=("--config-settings=cmake-args=$LONGHEADS_PIP_CMAKE_ARGS"); fi
  "$work/venv/bin/python" -m pip install "${pip_args[@]}" "$source" >"$work/pip.log" 2>&1 ||
    { tail -40 "$work/pip.log"; fail "pip install"; }
  "$work/venv/bin/python" -c 'import longheads, pathlib; p = pathlib.Path(longheads.__file__).parent
assert str(p).startswith(__import__("sys").prefix), p
print("pip-installed:", p, longheads.version())'
  cp "$source/examples/python/stream.py" "$work/elsewhere/"
  out=$("$work/venv/bin/python" "$work/elsewhere/stream.py" "$model" --max-tokens 16)
  head -5 <<<"$out"
  grep -q "stopped by" <<<"$out" || fail "the Python example did not finish its stream"
fi

if has java; then
  step "Java example from a copy of the installed jar"
  jar=$(find "$prefix" -name longheads.jar | head -1)
  [ -n "$jar" ] || fail "no longheads.jar under $prefix"
  [ -f "$(dirname "$jar")/longheads-$version.pom" ] || fail "no longheads-$version.pom next to the jar"
  grep -qx "ai/longheads/native/linux-x86_64/$soname" <<<"$(zip_names "$jar")" || fail "the jar carries no $soname"
  mkdir -p "$work/java_app"
  cp "$jar" "$source/examples/java/Stream.java" "$work/java_app/"
  (cd "$work/java_app" && javac -cp longheads.jar -d . Stream.java)
  out=$(cd "$work/elsewhere" && java -cp "$work/java_app/longheads.jar:$work/java_app" Stream "$model" 16)
  head -5 <<<"$out"
  grep -q "stopped by" <<<"$out" || fail "the Java example did not finish its stream"
fi

if has csharp; then
  step "C# example from copies of the installed assembly directory"
  csdir=$(dirname "$(find "$prefix" -name LongHeads.dll | head -1)")
  mkdir -p "$work/cs_app"
  cp "$csdir"/* "$source/examples/csharp/Stream.cs" "$work/cs_app/"
  echo 'class V { static void Main() { System.Console.WriteLine(typeof(LongHeads.Model).Assembly.GetName().Version); } }' \
    >"$work/cs_app/AssemblyVersion.cs"
  (cd "$work/cs_app" && mcs -nologo -out:Stream.exe -r:LongHeads.dll Stream.cs &&
    mcs -nologo -out:AssemblyVersion.exe -r:LongHeads.dll AssemblyVersion.cs)
  assembly_version=$(cd "$work/elsewhere" && mono "$work/cs_app/AssemblyVersion.exe")
  [ "$assembly_version" = "$version.0" ] || fail "LongHeads.dll has version '$assembly_version', expected $version.0"
  echo "LongHeads.dll version $assembly_version"
  out=$(cd "$work/elsewhere" && mono "$work/cs_app/Stream.exe" "$model" 16)
  head -5 <<<"$out"
  grep -q "stopped by" <<<"$out" || fail "the C# example did not finish its stream"
  nupkg=$build/csharp/LongHeads.$version.nupkg
  [ -f "$nupkg" ] || fail "no $nupkg (Debian package nuget)"
  listing=$(zip_names "$nupkg")
  for entry in lib/net45/LongHeads.dll runtimes/linux-x64/native/liblongheads_csharp.so \
               "runtimes/linux-x64/native/$soname"; do
    grep -qx "$entry" <<<"$listing" || fail "$nupkg lacks $entry"
  done
  echo "$(basename "$nupkg"): assembly and native libraries present"
fi

echo
echo "install test: all passed in $((SECONDS - start)) s"
