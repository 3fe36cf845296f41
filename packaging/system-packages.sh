#!/usr/bin/env bash
# Install the Debian/Ubuntu packages NextHub needs that are missing, and only those.
#
#   sudo bash packaging/system-packages.sh          # building llama.cpp, a venv
#   sudo bash packaging/system-packages.sh --test   # and what the tests use
#
# The tests use a real Secret Service (gnome-keyring on a private D-Bus), the
# libraries Qt's offscreen platform loads and a font, and Debian's Chromium for
# the web GUI's browser tests (Playwright's own browser download is not used).
# CI (.ci/run) runs this with --test before the README's test command.
set -euo pipefail

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(build-essential)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [[ "${1:-}" == "--test" ]]; then
    command -v dbus-daemon >/dev/null || missing+=(dbus-daemon)
    command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
    for lib_package in libEGL.so.1:libegl1 libGL.so.1:libgl1 libxkbcommon.so.0:libxkbcommon0 \
        libfontconfig.so.1:libfontconfig1 libglib-2.0.so.0:libglib2.0-0 libdbus-1.so.3:libdbus-1-3; do
        ldconfig -p | grep -F "${lib_package%%:*}" >/dev/null || missing+=("${lib_package##*:}")
    done
    compgen -G "/usr/share/fonts/truetype/dejavu/*.ttf" >/dev/null || missing+=(fonts-dejavu-core)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
if ((${#missing[@]})); then
    echo "Installing: ${missing[*]}" >&2
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
