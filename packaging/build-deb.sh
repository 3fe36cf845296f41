#!/usr/bin/env bash
# Build the NextHub .deb from a PyInstaller bundle folder (see packaging/README.md).
#
#   packaging/build-deb.sh BUNDLE_DIR [OUT_DIR]
#
# BUNDLE_DIR is PyInstaller's one-folder output (dist/nexthub from
# packaging/nexthub.spec), with the `nexthub` executable at its top. The package
# installs it as /opt/nexthub, links /usr/bin/nexthub to it, and adds a menu entry
# and the icon. Compression is gzip (DEB_COMPRESSION=zstd|xz|gzip to change it;
# xz is the smallest and by far the slowest). Needs dpkg-deb (Debian: dpkg).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

bundle="${1:?usage: build-deb.sh BUNDLE_DIR [OUT_DIR]}"
out="${2:-$root/dist}"
[[ -x "$bundle/nexthub" ]] || { echo "build-deb.sh: $bundle/nexthub is not an executable bundle" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb is needed (apt-get install dpkg)" >&2; exit 1; }

version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/nexthub/__init__.py")"
[[ -n "$version" ]] || { echo "build-deb.sh: no __version__ in nexthub/__init__.py" >&2; exit 1; }
arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
compression="${DEB_COMPRESSION:-gzip}"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" \
    "$stage/usr/share/applications" "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a "$bundle" "$stage/opt/nexthub"
ln -s /opt/nexthub/nexthub "$stage/usr/bin/nexthub"
install -m 644 "$here/nexthub.desktop" "$stage/usr/share/applications/nexthub.desktop"
install -m 644 "$root/assets/nexthub.svg" "$stage/usr/share/icons/hicolor/scalable/apps/nexthub.svg"
for script in postinst prerm postrm; do
    install -m 755 "$here/deb/$script" "$stage/DEBIAN/$script"
done
size_kib="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: nexthub
Version: $version
Architecture: $arch
Maintainer: NextHub developers <dev@nexthub.invalid>
Installed-Size: $size_kib
Section: utils
Priority: optional
Depends: libc6, libgl1, libegl1, libxkbcommon0, libfontconfig1, libdbus-1-3
Recommends: gnome-keyring | kwalletmanager
Homepage: https://nexthub.invalid
Description: chat with AI language models on your own computer
 NextHub runs GGUF language models on your CPU or GPU through llama.cpp.
 What you type, load or generate never leaves your machine; chats are kept
 in an encrypted database. Each user deletes their own data with: nexthub uninstall.
CONTROL

mkdir -p "$out"
deb="$out/nexthub_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"$compression" --build "$stage" "$deb" >&2
echo "$deb"
