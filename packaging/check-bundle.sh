#!/usr/bin/env bash
# Build the PyInstaller bundle and the .deb, then use them as a user would.
# Not part of `pytest`: it compiles llama.cpp once more (GGML_NATIVE=OFF, 6 to 13
# minutes on two cores, cached afterwards) and PyInstaller takes minutes more.
# Run it when packaging/ or pyproject.toml changes (see packaging/README.md).
#
#   packaging/check-bundle.sh            build into build/bundle/, check, leave it there
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work="build/bundle"
python="${PYTHON:-python3}"

# 1. A build venv with a portable llama.cpp (no CPU-specific instructions).
[[ -x "$work/venv/bin/python" ]] || "$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
wheel="$(CMAKE_ARGS="-DGGML_NATIVE=OFF" bash packaging/llama-wheel.sh "$work/venv/bin/python")"
"$work/venv/bin/python" -m pip install --quiet "$wheel" ".[starter]" pyinstaller

# 2. The bundle, then the .deb around it.
"$work/venv/bin/pyinstaller" --noconfirm --clean --distpath "$work/dist" \
    --workpath "$work/pyinstaller" packaging/nexthub.spec
bundle="$work/dist/nexthub"
deb="$(bash packaging/build-deb.sh "$bundle" "$work")"

# 3. The bundle runs headless: version, doctor, one chat on the starter model.
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.cache"
run() { env -i PATH=/usr/bin:/bin HOME="$home" NEXTHUB_PASSPHRASE=bundle-check \
    PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring QT_QPA_PLATFORM=offscreen "$bundle/nexthub" "$@"; }
run --version
run doctor
run chat --ctx 1024 -p "Say hello to Bundlecheck42." | tee "$home/answer.txt"
run data export | grep -q Bundlecheck42
# The desktop app starts offscreen and keeps running until it is stopped.
run & app=$!
sleep 15
kill -0 "$app" && kill "$app"
wait "$app" || true

# 4. Uninstall as a user would: nothing of NextHub's is left in the home folder.
run uninstall --yes
if find "$home" -iname '*nexthub*' | grep -q .; then
    echo "check-bundle.sh: NextHub left files behind:" >&2
    find "$home" -iname '*nexthub*' >&2
    exit 1
fi
if grep -rq Bundlecheck42 "$home" --exclude=answer.txt; then
    echo "check-bundle.sh: the marker is still on disk" >&2
    exit 1
fi
echo "Bundle checked: $bundle; package: $deb"
