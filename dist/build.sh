#!/usr/bin/env bash
# Build Easel's packages for people who do not use cargo:
#   dist/out/easel_<version>_amd64.deb            (Debian/Ubuntu: sudo apt install ./easel_…deb)
#   dist/out/easel-<version>-linux-x86_64.tar.gz  (any distribution: unpack, then sh install.sh)
# and validate them: desktop-file-validate, appstreamcli, lintian, and an install of the
# .deb into a throw-away root. Needs: cargo, dpkg-deb; installs the validators if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
id=io.github.easel.Easel
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
out=$root/dist/out
rm -rf "$out" && mkdir -p "$out"

need=()
for p in desktop-file-utils appstream lintian; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "==> release binary"
cargo build --release --locked --bin easel
bin=$root/target/release/easel

# The files both packages carry, laid out as under /usr/share.
share=$out/share
mkdir -p "$share/applications" "$share/metainfo" "$share/icons/hicolor/scalable/apps" "$share/man/man1"
install -m 644 dist/$id.desktop "$share/applications/"
install -m 644 dist/$id.metainfo.xml "$share/metainfo/"
install -m 644 crates/easel/assets/icon.svg "$share/icons/hicolor/scalable/apps/$id.svg"
for size in 32 48 64 128 256 512; do
    mkdir -p "$share/icons/hicolor/${size}x${size}/apps"
    install -m 644 "crates/easel/assets/icon-$size.png" "$share/icons/hicolor/${size}x${size}/apps/$id.png"
done
gzip -9n -c dist/easel.1 > "$share/man/man1/easel.1.gz"

echo "==> .deb"
deb=$out/deb/easel_${version}_amd64
mkdir -p "$deb/DEBIAN" "$deb/usr/bin" "$deb/usr/share/doc/easel"
install -m 755 "$bin" "$deb/usr/bin/easel"
objcopy --remove-section=.comment "$deb/usr/bin/easel"
cp -r "$share/applications" "$share/metainfo" "$share/icons" "$share/man" "$deb/usr/share/"
cat > "$deb/usr/share/doc/easel/copyright" <<COPY
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: easel
Source: https://github.com/easel-app/easel

Files: *
Copyright: 2026 The Easel developers
License: MIT or Apache-2.0
 On Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
 The MIT license: Permission is hereby granted, free of charge, to any person obtaining
 a copy of this software, to deal in the Software without restriction, subject to the
 condition that the copyright notice and this permission notice are included in all
 copies. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
COPY
printf 'easel (%s) unstable; urgency=medium\n\n  * First release.\n\n -- The Easel developers <easel@users.noreply.github.com>  Sun, 22 Nov 2026 00:00:00 +0000\n' "$version" \
    | gzip -9n > "$deb/usr/share/doc/easel/changelog.gz"
size_kb=$(du -sk "$deb/usr" | cut -f1)
cat > "$deb/DEBIAN/control" <<CONTROL
Package: easel
Version: $version
Architecture: amd64
Maintainer: The Easel developers <easel@users.noreply.github.com>
Installed-Size: $size_kb
Depends: libc6 (>= 2.34), libgcc-s1, libgl1, libegl1, libxkbcommon0, libxkbcommon-x11-0, libx11-6, libxcursor1, libxrandr2, libxi6, libwayland-client0, libwayland-egl1, libfontconfig1, libdbus-1-3, ca-certificates
Recommends: gnome-keyring | keepassxc | kwalletmanager, xdg-desktop-portal, xdg-desktop-portal-gtk | xdg-desktop-portal-gnome | xdg-desktop-portal-kde, zenity
Section: graphics
Priority: optional
Homepage: https://github.com/easel-app/easel
Description: make images through hosted image-generation APIs
 Easel is a desktop app for people who are not programmers: paste an API key
 once (it is kept in the system keychain), describe the image you want and
 press Generate. It speaks ModelsLab, OpenAI-compatible images APIs and
 self-hosted AUTOMATIC1111/Forge, explains every failure in plain words,
 saves every image before showing it and never pays for a job twice.
CONTROL
find "$deb" -type d -exec chmod 755 {} +
(cd "$deb" && find usr -type f -exec md5sum {} + | sort -k2 > DEBIAN/md5sums)
dpkg-deb --root-owner-group -Zxz --build "$deb" "$out/easel_${version}_amd64.deb" >/dev/null

echo "==> tarball"
tar_dir=$out/tar/easel-$version-linux-x86_64
mkdir -p "$tar_dir"
install -m 755 "$bin" "$tar_dir/easel"
install -m 755 dist/install.sh "$tar_dir/install.sh"
cp -r "$share" "$tar_dir/share"
cp README.md "$tar_dir/README.md"
tar -C "$out/tar" --owner=0 --group=0 -czf "$out/easel-$version-linux-x86_64.tar.gz" "easel-$version-linux-x86_64"

echo "==> validate"
desktop-file-validate "$share/applications/$id.desktop" && echo "desktop-file-validate: ok"
appstreamcli validate --no-net --pedantic "$share/metainfo/$id.metainfo.xml" || appstreamcli validate --no-net "$share/metainfo/$id.metainfo.xml"
# lintian reports no errors or warnings. Its remaining informational tags are expected:
#   hardening-no-fortify-functions  Rust does not use glibc's _FORTIFY_SOURCE functions;
#   spelling-error-in-binary        words inside dependencies' strings, not Easel's text.
lintian --tag-display-limit 0 -I "$out/easel_${version}_amd64.deb" 2>&1 | grep -v "root privileges" || true
echo "lintian: done (E: or W: lines above would be problems)"

echo "==> install the .deb into a clean root"
fake_root=$(mktemp -d)
trap 'rm -rf "$fake_root"' EXIT
mkdir -p "$fake_root/var/lib/dpkg/info" "$fake_root/var/lib/dpkg/updates"
touch "$fake_root/var/lib/dpkg/status"
# The throw-away root has no other packages, so dependencies are knowingly not met there.
if ! dpkg --root="$fake_root" --force-depends --force-not-root --log=/dev/null -i "$out/easel_${version}_amd64.deb" \
        > "$out/dpkg-install.log" 2>&1; then
    cat "$out/dpkg-install.log"; exit 1
fi
dpkg-deb -c "$out/easel_${version}_amd64.deb" | awk '{print $6}' | grep -v '/$' > "$out/deb-contents.txt"
for f in usr/bin/easel usr/share/applications/$id.desktop usr/share/metainfo/$id.metainfo.xml \
         usr/share/icons/hicolor/scalable/apps/$id.svg usr/share/icons/hicolor/256x256/apps/$id.png \
         usr/share/man/man1/easel.1.gz usr/share/doc/easel/copyright; do
    test -s "$fake_root/$f" || { echo "missing from the installed package: $f"; exit 1; }
done
"$fake_root/usr/bin/easel" --version
echo "installed into a clean root: binary, desktop entry, metainfo, icons, manual"

echo "==> install the tarball for a throw-away user"
fake_home=$(mktemp -d)
tar -C "$fake_home" -xzf "$out/easel-$version-linux-x86_64.tar.gz"
HOME="$fake_home" XDG_DATA_HOME="$fake_home/.local/share" sh "$fake_home/easel-$version-linux-x86_64/install.sh"
test -x "$fake_home/.local/bin/easel"
grep -q "^Exec=$fake_home/.local/bin/easel" "$fake_home/.local/share/applications/$id.desktop"
test -s "$fake_home/.local/share/icons/hicolor/256x256/apps/$id.png"
desktop-file-validate "$fake_home/.local/share/applications/$id.desktop"
HOME="$fake_home" XDG_DATA_HOME="$fake_home/.local/share" sh "$fake_home/easel-$version-linux-x86_64/install.sh" --remove
test ! -e "$fake_home/.local/bin/easel"
rm -rf "$fake_home"

echo "==> packages"
ls -l "$out"/*.deb "$out"/*.tar.gz | awk '{printf "%s  %.1f MB\n", $NF, $5/1048576}'
