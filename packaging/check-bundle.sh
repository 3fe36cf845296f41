#!/usr/bin/env bash
# Build the PyInstaller bundle and the .deb, then use them as a user would.
# Not part of `pytest`: it compiles a portable llama.cpp once more (about 20 minutes
# on two busy cores, cached afterwards); PyInstaller and the checks take 5 more.
# Run it when packaging/ or pyproject.toml changes (see packaging/README.md).
#
#   packaging/check-bundle.sh            build into build/bundle/, check, leave it there
#
# The .deb part installs the package with dpkg, so it needs root (or sudo without a
# password). It refuses to run where a nexthub package is already installed, and
# purges the package it installed however the script ends.
#
# Environment: LLAMA_CMAKE_ARGS replaces the portable llama.cpp flags below.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work="build/bundle"
python="${PYTHON:-python3}"
marker="Bundlecheck42"
say() { echo "check-bundle.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

if ((EUID == 0)); then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    fail "installing the .deb needs root or sudo without a password"
fi
if dpkg-query -W -f='${Status}' nexthub 2>/dev/null | grep -q installed; then
    fail "a nexthub package is installed already; this check would replace it (dpkg --purge nexthub first)"
fi

# Whatever happens from here on: no temporary home folder, no package left installed.
homes=()
deb_installed=false
cleanup() {
    if $deb_installed; then "${as_root[@]}" dpkg --purge nexthub >/dev/null || true; fi
    ((${#homes[@]} == 0)) || rm -rf "${homes[@]}"
}
trap cleanup EXIT

# A fresh home folder, and a command running there with nothing of ours in the environment.
new_home() {
    home="$(mktemp -d)"
    homes+=("$home")
    mkdir -p "$home/.cache"
    as_user=(env -i PATH=/usr/bin:/bin HOME="$home" NEXTHUB_PASSPHRASE=bundle-check
        PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring QT_QPA_PLATFORM=offscreen)
}
as_user() { "${as_user[@]}" "$@"; }
# Use NextHub as a person would: version, doctor, a chat on the starter model, the
# export finds it, and the desktop app starts (offscreen) and keeps running until closed.
use() {
    as_user "$1" --version
    as_user "$1" doctor
    as_user "$1" chat --ctx 1024 --max-tokens 32 -p "Say hello to $marker." | tee "$home/answer.txt"
    as_user "$1" data export | grep "$marker" >/dev/null || fail "the chat is not in the export"
    "${as_user[@]}" "$1" &
    local app=$!
    sleep 20
    kill -0 "$app" 2>/dev/null || fail "the desktop app ended by itself (see above)"
    kill -TERM "$app"
    wait "$app" || true
}
# Nothing of NextHub's is left in the home folder, and the chat is nowhere in it.
nothing_left() {
    if [[ -n "$(find "$home" -iname '*nexthub*')" ]]; then
        find "$home" -iname '*nexthub*' >&2
        fail "NextHub left files behind (above)"
    fi
    if grep -rlq "$marker" "$home" --exclude=answer.txt; then
        fail "the chat's marker is still on disk: $(grep -rl "$marker" "$home" --exclude=answer.txt)"
    fi
}

# 1. A build venv with a portable llama.cpp. GGML_NATIVE=OFF alone still compiles in
#    AVX, AVX2, FMA, F16C and BMI2 (x86-64-v3: an illegal instruction on any CPU
#    without AVX2); these flags leave SSE4.2, which every x86-64 CPU since 2009 has.
portable="-DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF"
[[ -x "$work/venv/bin/python" ]] || "$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
wheel="$(CMAKE_ARGS="${LLAMA_CMAKE_ARGS:-$portable}" bash packaging/llama-wheel.sh "$work/venv/bin/python")"
# Forced: pip keeps an installed llama-cpp-python of the same version, whatever its flags.
"$work/venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel"
"$work/venv/bin/python" -m pip install --quiet "$wheel" ".[starter]" pyinstaller

# 2. The bundle, then the .deb around it.
"$work/venv/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath "$work/dist" \
    --workpath "$work/pyinstaller" packaging/nexthub.spec
bundle="$PWD/$work/dist/nexthub"
deb="$(bash packaging/build-deb.sh "$bundle" "$work")"
if [[ -z "${LLAMA_CMAKE_ARGS:-}" && "$(uname -m)" == x86_64 ]]; then
    # The bundled CPU backend uses no AVX register (ymm): it runs on CPUs without AVX.
    cpu_lib="$(find "$bundle" -name 'libggml-cpu.so*' -type f | head -n1)"
    [[ -n "$cpu_lib" ]] || fail "no libggml-cpu in the bundle"
    avx="$(objdump -d "$cpu_lib" | grep -c ymm || true)"
    ((avx == 0)) || fail "$cpu_lib uses AVX ($avx instructions): not portable"
fi

# 3. The bundle folder runs headless, then `nexthub uninstall` leaves nothing.
new_home
use "$bundle/nexthub"
as_user "$bundle/nexthub" uninstall --yes | tee "$home/uninstall.txt"
grep -q "Delete the folder $bundle" "$home/uninstall.txt" || fail "uninstall did not name the bundle folder"
rm "$home/uninstall.txt"
nothing_left

# 4. The .deb: install, use, `nexthub uninstall` (the user's data), purge (the program).
new_home
"${as_root[@]}" dpkg --install "$deb"
deb_installed=true
mapfile -t package_files < <(dpkg-query -L nexthub | grep -v '^/\.$')
use /usr/bin/nexthub
as_user /usr/bin/nexthub uninstall --yes | tee "$home/uninstall.txt"
grep -q "sudo apt-get purge nexthub" "$home/uninstall.txt" || fail "uninstall did not say how to purge"
rm "$home/uninstall.txt"
nothing_left
"${as_root[@]}" dpkg --purge nexthub
deb_installed=false
for path in /opt/nexthub /usr/bin/nexthub /usr/share/applications/nexthub.desktop \
    /usr/share/icons/hicolor/scalable/apps/nexthub.svg; do
    [[ ! -e "$path" && ! -L "$path" ]] || fail "$path is still there after the purge"
done
for path in "${package_files[@]}"; do
    # Shared folders such as /usr/bin stay; every file and folder of the package goes.
    [[ "$path" == *nexthub* ]] || continue
    [[ ! -e "$path" && ! -L "$path" ]] || fail "$path is still there after the purge"
done
! dpkg-query -W nexthub >/dev/null 2>&1 || fail "dpkg still knows the nexthub package"

echo "Bundle checked: $bundle; package checked (installed, used, purged): $deb"
