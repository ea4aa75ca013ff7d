#!/bin/sh
# Install Easel for the current user, from the unpacked tarball: no root needed.
#   sh install.sh            install into ~/.local
#   sh install.sh --remove   remove it again (your images and key are kept)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
bindir="$HOME/.local/bin"
id=io.github.easel.Easel

if [ "${1:-}" = "--remove" ]; then
    rm -f "$bindir/easel" "$prefix/applications/$id.desktop" "$prefix/metainfo/$id.metainfo.xml"
    find "$prefix/icons/hicolor" -name "$id.*" -delete 2>/dev/null || true
    echo "Easel was removed. Your images (in $prefix/easel) and your key (in the keychain) were kept."
    exit 0
fi

mkdir -p "$bindir" "$prefix/applications" "$prefix/metainfo"
install -m 755 "$here/easel" "$bindir/easel"
# The menu entry must find the binary even when ~/.local/bin is not on PATH.
sed "s|^Exec=easel|Exec=$bindir/easel|" "$here/share/applications/$id.desktop" > "$prefix/applications/$id.desktop"
install -m 644 "$here/share/metainfo/$id.metainfo.xml" "$prefix/metainfo/"
(cd "$here/share/icons" && find hicolor -type f) | while read -r icon; do
    mkdir -p "$prefix/icons/$(dirname "$icon")"
    install -m 644 "$here/share/icons/$icon" "$prefix/icons/$icon"
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$prefix/icons/hicolor" || true
echo "Easel is installed: find it in your applications menu, or run $bindir/easel"
