#!/usr/bin/env bash
# Retake the README's screenshots from the real app, under Xvfb, against the sandbox.
#   bash dist/screenshots.sh        -> dist/screenshots/main.png
# Needs: xvfb, xdotool, imagemagick (tests/run.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin easel
bin=$PWD/target/release/easel
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export EASEL_DATA_DIR="$work/data" XDG_DATA_HOME="$work/xdg" XDG_CONFIG_HOME="$work/config" EASEL_API_KEY=sandbox-key-0000

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
export DISPLAY=$display
sleep 1
"$bin" sandbox --port 0 > "$work/sandbox.txt" &
for _ in $(seq 50); do grep -q "http://" "$work/sandbox.txt" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/sandbox.txt")

# A few images in the library first, so the gallery has something to show.
for p in "a lighthouse at dusk" "a red fox in the snow" "a kite over the sea"; do
    "$bin" generate --base-url "$url" --prompt "$p" --candidates 2 > /dev/null
done

LIBGL_ALWAYS_SOFTWARE=1 "$bin" gui --base-url "$url" >/dev/null 2>&1 &
win=$(timeout 30 xdotool search --sync --onlyvisible --name '^Easel$' | head -n1)
xdotool windowfocus --sync "$win"
xdotool windowsize --sync "$win" 1280 800
xdotool type --delay 20 "a watercolour harbour at sunrise"
xdotool key ctrl+Return
sleep 4
mkdir -p dist/screenshots
import -window "$win" dist/screenshots/main.png
echo "wrote dist/screenshots/main.png"
