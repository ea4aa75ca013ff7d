#!/usr/bin/python3
"""The real window on a desktop with no file-chooser portal: "Save as…" still saves.

Run inside a private session bus that offers only the accessibility bus (no portal), as
crates/easel/tests/it/no_portal.rs does:

    XDG_DATA_DIRS=<dir with dbus-1/services/org.a11y.Bus.service> dbus-run-session -- \
        /usr/bin/python3 tests/window/no_portal.py EASEL_BIN SANDBOX_URL WORK_DIR

Prints what it did; exits 0 when the picture was saved where Easel's own chooser said.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atspi  # noqa: E402


def log(text):
    print(f"no_portal: {text}", flush=True)


def main(easel, sandbox_url, work):
    assert not atspi.bus_offers("org.freedesktop.portal.Desktop"), "this bus must offer no portal"
    atspi.enable_accessibility()
    home = os.path.join(work, "home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, EASEL_API_KEY="no-portal-key-0123456789", EASEL_DATA_DIR=os.path.join(work, "data"),
               XDG_DATA_HOME=os.path.join(work, "xdg"), XDG_CONFIG_HOME=os.path.join(work, "config"), LIBGL_ALWAYS_SOFTWARE="1")
    app = subprocess.Popen([easel, "gui", "--base-url", sandbox_url], env=env)
    try:
        window = atspi.Window(work)
        window.find("push button", "Generate")
        log("the window is up; typing a prompt")
        window.type("a fox to keep")
        window.key("ctrl+Return")
        window.click(window.find("toggle button", "Image: a fox to keep", exact=False))  # a thumbnail: it can be picked
        log("the picture is open; pressing Save as")
        window.click(window.find("push button", "Save as…"))
        window.find(None, "Save the picture as")
        log("Easel's own chooser opened (no portal on this bus)")
        window.click(window.find("entry", "File name"))
        window.key("ctrl+a")
        window.type("kept-without-a-portal")
        window.click(window.find("push button", "Save"))
        target = os.path.join(home, "kept-without-a-portal.png")
        started = time.time()
        while not os.path.isfile(target):
            if time.time() - started > atspi.DEADLINE:
                raise SystemExit(f"nothing was saved at {target}")
            time.sleep(0.2)
        with open(target, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", "a PNG file"
        log(f"saved {target}")
    finally:
        app.kill()
        app.wait()


if __name__ == "__main__":
    main(*sys.argv[1:4])
