#!/usr/bin/env bash
# Run every Easel test as CI does, on a fresh Debian machine or a developer's:
#   bash tests/run.sh
#
# It installs what the tests need (Xvfb, a real Secret Service, D-Bus, xdotool,
# ImageMagick) when they are missing, builds the release binary for the window
# smoke test, then runs `cargo test` inside a virtual display and a private
# D-Bus session with an unlocked gnome-keyring. Nothing touches your own
# keyring: the session uses a throw-away HOME for keyring files.
set -euo pipefail
cd "$(dirname "$0")/.."

# at-spi2-core, python3-pyatspi and gsettings-desktop-schemas: the real-window test without a
# file-chooser portal drives the window through its accessibility tree (tests/window/); xclip puts
# a picture on the clipboard for the real-window painting test's Ctrl+V.
packages=(xvfb xauth x11-utils xdotool imagemagick dbus dbus-x11 gnome-keyring libsecret-tools
          libgl1-mesa-dri libegl-mesa0 libglx-mesa0 libxkbcommon-x11-0 fonts-dejavu-core
          at-spi2-core python3-pyatspi gsettings-desktop-schemas xclip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "==> installing: ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> house rules: formatting, the architecture's rules, clippy"
cargo fmt --all -- --check
python3 tests/architecture.py
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> building the release binary (for the window smoke test) and the benchmarks"
cargo build --release --locked --bin easel
cargo bench --workspace --locked --no-run

# Keep cargo's and rustup's homes; give the keyring a throw-away home.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/run"
chmod 700 "$scratch/run"
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/home/.local/share" XDG_RUNTIME_DIR="$scratch/run"
export EASEL_REQUIRE_KEYRING=1 EASEL_SMOKE_BIN="$PWD/target/release/easel"

echo "==> cargo test (under Xvfb, with a private D-Bus session and gnome-keyring)"
xvfb-run -a -s "-screen 0 1280x860x24" dbus-run-session -- bash -c '
    echo -n "easel-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    cargo test --workspace --locked --lib --bins --tests -- "$@"
' bash "$@"

echo "==> contract tests: the official clients against the sandbox"
EASEL_BIN="$PWD/target/release/easel" bash tests/contract/run.sh
