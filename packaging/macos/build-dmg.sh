#!/usr/bin/env bash
# Build NextHub.app and NextHub.dmg on macOS (needs Xcode's command line tools).
# Cannot run on Linux; see packaging/README.md. On an Apple Silicon Mac the
# llama.cpp build uses Metal; for an Intel build set CMAKE_ARGS to check-bundle.sh's portable flags.
#
#   packaging/macos/build-dmg.sh        -> dist/NextHub.dmg
#
# Dragging NextHub.app to the Trash removes only the program: the app's menu has
# "Uninstall NextHub…" (which runs `nexthub uninstall`) for the data, kept in
# the folders nexthub/paths.py uses on macOS (platformdirs):
#     ~/Library/Application Support/NextHub
#     ~/Library/Caches/NextHub
#     ~/Library/Logs/NextHub
# and the "NextHub" items in the login keychain.
# (tests/unit/test_packaging.py checks these lines against paths.py.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[[ "$(uname)" == Darwin ]] || { echo "build-dmg.sh: run this on macOS" >&2; exit 1; }

python3 -m venv build/mac-venv
wheel="$(bash packaging/llama-wheel.sh build/mac-venv/bin/python)"
build/mac-venv/bin/python -m pip install --quiet "$wheel" ".[starter]" pyinstaller

# The icon: assets/nexthub.svg rendered at the sizes an .icns holds.
iconset="build/nexthub.iconset"
mkdir -p "$iconset" dist
for size in 16 32 128 256 512; do
    qlmanage -t -s $((size * 2)) -o build assets/nexthub.svg >/dev/null
    sips -z "$size" "$size" build/nexthub.svg.png --out "$iconset/icon_${size}x${size}.png" >/dev/null
    sips -z $((size * 2)) $((size * 2)) build/nexthub.svg.png --out "$iconset/icon_${size}x${size}@2x.png" >/dev/null
done
iconutil -c icns "$iconset" -o dist/nexthub.icns

build/mac-venv/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
    packaging/nexthub.spec
hdiutil create -volname NextHub -srcfolder dist/NextHub.app -ov -format UDZO dist/NextHub.dmg
echo dist/NextHub.dmg
