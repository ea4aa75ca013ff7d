#!/usr/bin/python3
"""The real window on a desktop with no file-chooser portal: "Save as…" still saves.

Run inside a private session bus that offers only the accessibility bus (no portal), as
crates/easel/tests/it/no_portal.rs does:

    XDG_DATA_DIRS=<dir with dbus-1/services/org.a11y.Bus.service> dbus-run-session -- \
        /usr/bin/python3 tests/window/no_portal.py EASEL_BIN SANDBOX_URL WORK_DIR

It drives the window through its accessibility tree (AT-SPI), as a screen reader would: it
finds controls by role and name, clicks their middle with xdotool and types with xdotool.
Prints what it did; exits 0 when the picture was saved where Easel's own chooser said.
"""
import os
import subprocess
import sys
import time

DEADLINE = float(os.environ.get("NO_PORTAL_DEADLINE", "60"))


def log(text):
    print(f"no_portal: {text}", flush=True)


def xdotool(*args):
    return subprocess.run(["timeout", "30", "xdotool", *args], check=True, capture_output=True, text=True).stdout.strip()


def enable_accessibility():
    """The accessibility bus, and the flag that tells toolkits someone is listening."""
    subprocess.Popen(["/usr/libexec/at-spi-bus-launcher", "--launch-immediately"])
    for _ in range(50):
        done = subprocess.run(
            ["dbus-send", "--session", "--dest=org.a11y.Bus", "--print-reply", "/org/a11y/bus",
             "org.freedesktop.DBus.Properties.Set", "string:org.a11y.Status", "string:IsEnabled", "variant:boolean:true"],
            capture_output=True)
        if done.returncode == 0:
            return
        time.sleep(0.1)
    raise SystemExit("the accessibility bus did not start")


def main(easel, sandbox_url, work):
    portal = subprocess.run(["dbus-send", "--session", "--dest=org.freedesktop.DBus", "--print-reply", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus.ListActivatableNames"], capture_output=True, text=True).stdout
    assert "org.freedesktop.portal.Desktop" not in portal, "this bus must offer no portal"
    enable_accessibility()
    import pyatspi  # connects to the accessibility bus on import: only now that it is up

    home = os.path.join(work, "home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, EASEL_API_KEY="no-portal-key-0123456789", EASEL_DATA_DIR=os.path.join(work, "data"),
               XDG_DATA_HOME=os.path.join(work, "xdg"), XDG_CONFIG_HOME=os.path.join(work, "config"), LIBGL_ALWAYS_SOFTWARE="1")
    app = subprocess.Popen([easel, "gui", "--base-url", sandbox_url], env=env)
    try:
        window = xdotool("search", "--sync", "--onlyvisible", "--name", "^Easel$").splitlines()[0]
        xdotool("windowfocus", "--sync", window)

        def find(role, name, exact=True):
            """The first node with this role (any, for None) and name, waiting for it."""
            started = time.time()
            while time.time() - started < DEADLINE:
                desktop = pyatspi.Registry.getDesktop(0)
                for application in desktop:
                    if application is None or application.name != "easel":
                        continue
                    node = pyatspi.findDescendant(
                        application, lambda n: n is not None and (role is None or n.getRoleName() == role)
                        and (n.name == name if exact else name in (n.name or "")))
                    if node is not None:
                        return node
                time.sleep(0.2)
            shot = os.path.join(work, "failed.png")
            subprocess.run(["import", "-window", "root", shot], check=False)
            names = []
            for application in pyatspi.Registry.getDesktop(0):
                if application is not None and application.name == "easel":
                    pyatspi.findAllDescendants(application, lambda n: names.append(f"{n.getRoleName()}: {n.name}") or False)
            raise SystemExit(f"no {role} {name!r} appeared in {DEADLINE:.0f} s (screenshot: {shot}); on screen:\n" + "\n".join(names))

        def click(node):
            box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            xdotool("mousemove", str(box.x + box.width // 2), str(box.y + box.height // 2), "click", "1")
            time.sleep(0.3)

        find("push button", "Generate")
        log("the window is up; typing a prompt")
        xdotool("type", "--delay", "20", "a fox to keep")
        xdotool("key", "ctrl+Return")
        click(find("toggle button", "Image: a fox to keep", exact=False))  # a thumbnail: it can be picked
        log("the picture is open; pressing Save as")
        click(find("push button", "Save as…"))
        find(None, "Save the picture as")
        log("Easel's own chooser opened (no portal on this bus)")
        name = find("entry", "File name")
        click(name)
        xdotool("key", "ctrl+a")
        xdotool("type", "--delay", "20", "kept-without-a-portal")
        click(find("push button", "Save"))
        target = os.path.join(home, "kept-without-a-portal.png")
        started = time.time()
        while not os.path.isfile(target):
            if time.time() - started > DEADLINE:
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
