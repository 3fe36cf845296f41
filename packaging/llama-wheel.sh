#!/usr/bin/env bash
# Build the llama-cpp-python wheel once per (version, Python, platform, CMAKE_ARGS)
# and print its path. pip's own cache ignores CMAKE_ARGS, so a CUDA build and a
# CPU build would collide there; this cache keys on them.
#
#   packaging/llama-wheel.sh [PYTHON]          -> prints /path/to/llama_cpp_python-*.whl
#   packaging/llama-wheel.sh --sdist [PYTHON]  -> prints the cached source archive
#
# Environment:
#   CMAKE_ARGS            llama.cpp build flags, e.g. "-DGGML_CUDA=on" or
#                         check-bundle.sh's portable flags for wheels meant for
#                         other machines (GGML_NATIVE=OFF alone still needs AVX2).
#   NEXTHUB_BUILD_CACHE   cache folder (default: ~/.cache/nexthub-build).
set -euo pipefail

want=wheel
if [[ "${1:-}" == "--sdist" ]]; then want=sdist; shift; fi
python="${1:-python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(sed -n 's/^ *"llama-cpp-python==\([0-9.]*\)".*/\1/p' "$here/pyproject.toml")"
[[ -n "$version" ]] || { echo "llama-wheel.sh: no llama-cpp-python pin in pyproject.toml" >&2; exit 1; }
cache="${NEXTHUB_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nexthub-build}"
sdist_dir="$cache/sdist"
sdist="$sdist_dir/llama_cpp_python-$version.tar.gz"

if [[ ! -f "$sdist" ]]; then
    mkdir -p "$sdist_dir"
    "$python" -m pip download --quiet --no-deps --no-binary :all: -d "$sdist_dir" \
        "llama-cpp-python==$version" >&2
fi
if [[ "$want" == sdist ]]; then echo "$sdist"; exit 0; fi

py_tag="$("$python" -c 'import sys, sysconfig; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{sysconfig.get_platform()}")')"
key="$(printf '%s\n' "$version" "$py_tag" "${CMAKE_ARGS:-}" | sha256sum | cut -c1-16)"
wheel_dir="$cache/wheels/llama-cpp-python-$version-$key"
wheel="$(ls "$wheel_dir"/llama_cpp_python-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$wheel" ]]; then
    command -v cmake >/dev/null || { echo "llama-wheel.sh: cmake is needed (apt-get install cmake build-essential)" >&2; exit 1; }
    echo "Building llama-cpp-python $version (CMAKE_ARGS='${CMAKE_ARGS:-}'): 6 to 13 minutes on 2 cores, once." >&2
    tmp="$wheel_dir.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    "$python" -m pip wheel --quiet --no-deps -w "$tmp" "$sdist" >&2
    printf 'version=%s\npython=%s\nCMAKE_ARGS=%s\n' "$version" "$py_tag" "${CMAKE_ARGS:-}" > "$tmp/BUILD-FLAGS"
    rm -rf "$wheel_dir" && mv "$tmp" "$wheel_dir"
    wheel="$(ls "$wheel_dir"/llama_cpp_python-*.whl | head -n1)"
fi
echo "$wheel"
