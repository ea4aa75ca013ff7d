#!/usr/bin/python3
"""The real window edits a picture with the mouse: for each service, make a picture, press
"Edit this picture", paint a stroke over its left part with xdotool, type the change and
generate. With ModelsLab first, Ctrl+V with a picture on the clipboard (put there by xclip)
must set the start image.

Run inside a private session bus that offers the accessibility bus, on a display, as
crates/easel/tests/it/real_editing.rs does:

    dbus-run-session -- /usr/bin/python3 tests/window/paint.py EASEL_BIN SANDBOX_URL WORK_DIR

Prints what it did and, per service, the picture's stroke as `stroke PROVIDER X0 X1` (the
fractions of the picture's width the brush covered), so the caller can check the mask the
sandbox received. Exits 0 when every edited picture arrived.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atspi  # noqa: E402


def log(text):
    print(f"paint: {text}", flush=True)


def start(easel, provider, url, work):
    home = os.path.join(work, provider, "home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, EASEL_API_KEY="paint-key-0123456789", EASEL_DATA_DIR=os.path.join(work, provider, "data"),
               XDG_DATA_HOME=os.path.join(work, provider, "xdg"), XDG_CONFIG_HOME=os.path.join(work, provider, "config"),
               LIBGL_ALWAYS_SOFTWARE="1")
    base = f"{url}/v1" if provider == "openai" else url
    return subprocess.Popen([easel, "gui", "--provider", provider, "--base-url", base], env=env)


def wait_gone(window, name, deadline=atspi.DEADLINE):
    started = time.time()
    while time.time() - started < deadline:
        found = False
        for application in window.nodes():
            if window.pyatspi.findDescendant(application, lambda n: n is not None and n.name == name):
                found = True
        if not found:
            return
        time.sleep(0.2)
    raise SystemExit(f"{name!r} did not go away")


def wait_for_clipboard(kind, deadline=atspi.DEADLINE):
    """Until the clipboard offers `kind` (xclip serves it once it has read its file)."""
    started = time.time()
    while time.time() - started < deadline:
        offered = subprocess.run(["timeout", "5", "xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
                                 capture_output=True, text=True).stdout
        if kind in offered.split():
            return
        time.sleep(0.1)
    raise SystemExit(f"the clipboard never offered {kind}")


def paste_a_picture(window, work):
    """Put a PNG on the clipboard with xclip and press Ctrl+V in the window."""
    picture = os.path.join(work, "clipboard.png")
    subprocess.run(["convert", "-size", "640x480", "xc:#2070c0", picture], check=True)
    # xclip stays in the background to serve the clipboard until it is stopped. Its output goes
    # nowhere: the caller reads this script's output to its end, which a living xclip holding
    # the same pipe would never let come.
    xclip = subprocess.Popen(["xclip", "-selection", "clipboard", "-t", "image/png", "-i", picture],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_clipboard("image/png")
        atspi.xdotool("windowfocus", "--sync", window.id)
        window.key("ctrl+v")
        window.find("image", "Start picture 1: pasted-picture.png")
        log("Ctrl+V with a picture on the clipboard set the start image")
    finally:
        xclip.kill()
        xclip.wait()
    window.click(window.find("push button", "Remove"))
    wait_gone(window, "Start picture 1: pasted-picture.png")


def edit(easel, provider, url, work):
    app = start(easel, provider, url, work)
    try:
        window = atspi.Window(work)
        window.find("push button", "Generate")
        if provider == "modelslab":
            paste_a_picture(window, work)
        window.click(window.find("entry", "Prompt"))
        window.type("a quiet harbour")
        window.key("ctrl+Return")
        window.click(window.find("toggle button", "Image: a quiet harbour", exact=False))
        window.click(window.find("push button", "Edit this picture"))
        # Down the left of the picture, at 15 % of its width, from 10 % to 90 % of its height.
        window.paint([(0.15, 0.10 + step * 0.05) for step in range(17)])
        window.find("label", "Only the painted part changes.")
        log(f"{provider}: painted a stroke down the left of the picture")
        print(f"stroke {provider} 0.15", flush=True)
        window.click(window.find("entry", "Prompt"))
        window.key("ctrl+a")
        window.type("a lighthouse on the left")
        window.key("ctrl+Return")
        window.find("toggle button", "Image: a lighthouse on the left", exact=False)
        log(f"{provider}: the edited picture arrived")
        window.shot(f"{provider}-edited.png")
    finally:
        app.kill()
        app.wait()
        time.sleep(0.5)


def main(easel, sandbox_url, work):
    atspi.enable_accessibility()
    for provider in ["modelslab", "openai", "a1111"]:
        edit(easel, provider, sandbox_url, work)


if __name__ == "__main__":
    main(*sys.argv[1:4])
