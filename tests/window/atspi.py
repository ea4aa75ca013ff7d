"""Driving the real Easel window through its accessibility tree (AT-SPI), as a screen reader
would: find controls by role and name, click their middle and type with xdotool.

Used by tests/window/no_portal.py, tests/window/paint.py and dist/screenshots.py. Run inside a D-Bus session; call
enable_accessibility() before anything imports pyatspi (it connects when imported).
"""
import os
import subprocess
import time

DEADLINE = float(os.environ.get("EASEL_ATSPI_DEADLINE", "60"))


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


def bus_offers(name):
    """Whether the session bus has or can start `name`."""
    listed = subprocess.run(["dbus-send", "--session", "--dest=org.freedesktop.DBus", "--print-reply", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus.ListActivatableNames"], capture_output=True, text=True).stdout
    return name in listed


class Window:
    """The Easel window of a process started by the caller."""

    def __init__(self, shots_dir):
        import pyatspi
        self.pyatspi = pyatspi
        self.shots_dir = shots_dir
        self.id = xdotool("search", "--sync", "--onlyvisible", "--name", "^Easel$").splitlines()[0]
        xdotool("windowfocus", "--sync", self.id)

    def nodes(self):
        for application in self.pyatspi.Registry.getDesktop(0):
            if application is not None and application.name == "easel":
                yield application

    def find(self, role, name, exact=True):
        """The first node with this role (any, for None) and name, waiting for it."""
        started = time.time()
        while time.time() - started < DEADLINE:
            for application in self.nodes():
                node = self.pyatspi.findDescendant(
                    application, lambda n: n is not None and (role is None or n.getRoleName() == role)
                    and (n.name == name if exact else name in (n.name or "")))
                if node is not None:
                    return node
            time.sleep(0.2)
        shot = self.shot("failed.png")
        names = []
        for application in self.nodes():
            self.pyatspi.findAllDescendants(application, lambda n: names.append(f"{n.getRoleName()}: {n.name}") or False)
        raise SystemExit(f"no {role} {name!r} appeared in {DEADLINE:.0f} s (screenshot: {shot}); on screen:\n" + "\n".join(names))

    def click(self, node):
        box = node.queryComponent().getExtents(self.pyatspi.DESKTOP_COORDS)
        xdotool("mousemove", str(box.x + box.width // 2), str(box.y + box.height // 2), "click", "1")
        time.sleep(0.3)

    def type(self, text):
        xdotool("type", "--delay", "20", text)

    def key(self, keys):
        xdotool("key", keys)

    def paint(self, points):
        """In the painter, drag the brush through `points`, each (x, y) as fractions of the
        picture, which is square and fitted in the middle of the painting area."""
        area = self.find("image", ": paint over the part to change", exact=False)
        box = area.queryComponent().getExtents(self.pyatspi.DESKTOP_COORDS)
        side = min(box.width, box.height)
        left, top = box.x + (box.width - side) // 2, box.y + (box.height - side) // 2

        def at(point):
            return str(left + int(side * point[0])), str(top + int(side * point[1]))

        xdotool("mousemove", *at(points[0]))
        xdotool("mousedown", "1")
        for point in points[1:]:
            # Paced like a hand, so the window sees every step of the stroke.
            xdotool("mousemove", *at(point))
            time.sleep(0.03)
        xdotool("mouseup", "1")

    def park_mouse(self):
        """Out of the way, so no button shows as hovered."""
        xdotool("mousemove", "--window", self.id, "5", "5")
        time.sleep(0.5)

    def shot(self, name):
        path = os.path.join(self.shots_dir, name)
        subprocess.run(["import", "-window", self.id, path], check=False)
        return path
