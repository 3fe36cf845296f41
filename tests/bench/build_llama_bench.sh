#!/usr/bin/env bash
# Build llama.cpp's own llama-bench from the exact sources and flags of the
# pinned llama-cpp-python wheel, once, and print the path of the binary.
#
# Why: the engine benchmark compares NextHub against llama-bench. The comparison
# only means something when both run the same llama.cpp commit compiled the same
# way, so this configures llama-cpp-python's own top-level CMakeLists.txt (which
# forces BUILD_SHARED_LIBS, LLAMA_BUILD_COMMON and LLAMA_CURL=OFF, and on Apple
# its Metal/AVX choices) from the cached sdist that packaging/llama-wheel.sh
# builds the wheel from, with scikit-build-core's build type (Release) and the
# same CMAKE_ARGS, and turns on only the tools folder to reach llama-bench.
#
#   tests/bench/build_llama_bench.sh [PYTHON]   -> prints /path/to/llama-bench
#   TARGET=llama-server tests/bench/build_llama_bench.sh [PYTHON]
#                                               -> prints /path/to/llama-server
#
# llama-server (for the server benchmark, bench_server.py) is built the same
# way with the server switched on; it has its own cache folder.
#
# The binary and the shared libraries it needs are cached under
# ${NEXTHUB_BUILD_CACHE:-~/.cache/nexthub-build}/llama-bench-<key>/, where the key
# hashes the version, the flags, CMAKE_ARGS, the machine and the compiler; a second
# run prints the cached path at once. Run the binary with LD_LIBRARY_PATH set to
# its folder (bench_engine.py does).
#
# Environment:
#   CMAKE_ARGS            llama.cpp build flags, as for packaging/llama-wheel.sh.
#   NEXTHUB_BUILD_CACHE   cache folder (default: ~/.cache/nexthub-build).
#   JOBS                  parallel compile jobs (default: 2).
#   TARGET                llama-bench (default) or llama-server.
set -euo pipefail

python="${1:-python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${NEXTHUB_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nexthub-build}"

target="${TARGET:-llama-bench}"
case "$target" in
    llama-bench) server=OFF ;;
    llama-server) server=ON ;;
    *) echo "build_llama_bench.sh: TARGET must be llama-bench or llama-server" >&2; exit 2 ;;
esac

sdist="$(bash "$here/packaging/llama-wheel.sh" --sdist "$python")"
version="$(basename "$sdist" .tar.gz)"
version="${version#llama_cpp_python-}"

# What scikit-build-core and llama-cpp-python's CMakeLists give the wheel, plus
# the switches that reach the llama-bench target and keep everything else off.
# LLAVA_BUILD=OFF only skips the multimodal library, which llama-bench does not use.
flags=(
    -DCMAKE_BUILD_TYPE=Release
    -DLLAMA_BUILD_TOOLS=ON
    -DLLAMA_BUILD_SERVER=$server
    -DLLAMA_BUILD_TESTS=OFF
    -DLLAMA_BUILD_EXAMPLES=OFF
    -DLLAMA_BUILD_APP=OFF
    -DLLAMA_CURL=OFF
    -DLLAVA_BUILD=OFF
)
# shellcheck disable=SC2206  # CMAKE_ARGS is a space-separated list, as pip reads it
extra=(${CMAKE_ARGS:-})

compiler="$( (c++ --version 2>/dev/null || echo unknown) | head -n1)"
key="$(printf '%s\n' "$version" "${flags[*]}" "${CMAKE_ARGS:-}" "$(uname -sm)" "$compiler" \
    | sha256sum | cut -c1-16)"
dest="$cache/$target-$key"

if [[ ! -x "$dest/$target" ]]; then
    command -v cmake >/dev/null || { echo "build_llama_bench.sh: cmake is needed" >&2; exit 1; }
    echo "Building $target from llama-cpp-python $version (CMAKE_ARGS='${CMAKE_ARGS:-}')," \
        "a few minutes on 2 cores, once." >&2
    work="$(mktemp -d "${TMPDIR:-/tmp}/$target-build.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    tar -xzf "$sdist" -C "$work"
    src="$work/llama_cpp_python-$version"
    generator=()
    if command -v ninja >/dev/null; then generator=(-G Ninja); fi  # as scikit-build-core
    cmake -S "$src" -B "$work/build" "${generator[@]}" "${flags[@]}" "${extra[@]}" >&2
    cmake --build "$work/build" --target "$target" -j "${JOBS:-2}" >&2
    tmp="$dest.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    cp -a "$work/build/bin/$target" "$work/build/bin/"*.so* "$tmp/"
    printf 'version=%s\nllama.cpp=%s\nflags=%s\nCMAKE_ARGS=%s\ncompiler=%s\n' "$version" \
        "$(sed -n 's/.*update llama.cpp to \(ggml-org\/llama.cpp@[0-9a-f]*\).*/\1/p' \
            "$src/CHANGELOG.md" | head -n1)" \
        "${flags[*]}" "${CMAKE_ARGS:-}" "$compiler" >"$tmp/BUILD-FLAGS"
    rm -rf "$dest" && mv "$tmp" "$dest"
fi
echo "$dest/$target"
