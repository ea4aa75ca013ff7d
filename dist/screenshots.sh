#!/usr/bin/env bash
# Retake the README's screenshots from the real window, under Xvfb, against the sandbox:
#   bash dist/screenshots.sh      -> dist/screenshots/{first-start-1024x640,first-start-1366x768,
#                                    failure-advice,own-file-chooser,main,several-models,jobs-services,
#                                    painting,compare}.png
#   EASEL_BIN=target/debug/easel bash dist/screenshots.sh   -> the same from an easel already built
# The session bus offers only the accessibility bus: no file-chooser portal (so Easel's own
# chooser shows) and no keychain (as on a first start). dist/screenshots.py drives the window
# through its accessibility tree. Needs what tests/run.sh installs (Xvfb, xdotool,
# ImageMagick, at-spi2-core, python3-pyatspi).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${EASEL_BIN:-}" ]; then
    bin=$(realpath "$EASEL_BIN")
else
    cargo build --release --locked --bin easel
    bin=$PWD/target/release/easel
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/share/dbus-1/services"
cp /usr/share/dbus-1/services/org.a11y.Bus.service "$work/share/dbus-1/services/"
GSETTINGS_SCHEMA_DIR=/usr/share/glib-2.0/schemas XDG_DATA_DIRS="$work/share" \
    xvfb-run -a -s "-screen 0 1480x900x24" dbus-run-session -- /usr/bin/python3 dist/screenshots.py "$bin" "$PWD/dist/screenshots"
ls -l dist/screenshots/*.png
