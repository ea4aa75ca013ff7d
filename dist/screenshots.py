#!/usr/bin/python3
"""Take the README's screenshots from the real window (dist/screenshots.sh runs this inside
Xvfb and a session bus with no file-chooser portal and no keychain):

    first-start-1024x640.png    the first start on a small laptop screen
    first-start-1366x768.png    the first start on a common screen
    failure-advice.png          a failure, what to do, and the button that does it
    own-file-chooser.png        Easel's own file chooser (no portal on this desktop)
    main.png                    a gallery with a few pictures
    several-models.png          one prompt on two models, side by side with their times and costs
    jobs-services.png           the jobs list: each job with its model and service, today's spend
    painting.png                painting the part of a picture to change, on the picture itself
    compare.png                 two pictures compared, one over the other with a slider
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "window"))
import atspi  # noqa: E402


def sandbox(easel, scenario):
    process = subprocess.Popen([easel, "sandbox", "--port", "0", "--scenario", scenario], stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        if "http://" in line:
            url = line[line.index("http://"):].split()[0].rstrip(".,")
            return process, url
    raise SystemExit(f"the {scenario} sandbox did not start")


def window(easel, work, url, size, key=True):
    env = dict(os.environ, HOME=os.path.join(work, "home"), EASEL_DATA_DIR=os.path.join(work, "data"),
               XDG_DATA_HOME=os.path.join(work, "xdg"), XDG_CONFIG_HOME=os.path.join(work, "config"), LIBGL_ALWAYS_SOFTWARE="1")
    for folder in ["Pictures", "Documents", "Desktop"]:
        os.makedirs(os.path.join(env["HOME"], folder), exist_ok=True)
    if key:
        env["EASEL_API_KEY"] = "screenshot-key-0123456789"
    args = [easel, "gui"] + (["--base-url", url] if url else [])
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    win = atspi.Window(work)
    atspi.xdotool("windowsize", "--sync", win.id, str(size[0]), str(size[1]))
    win.find("push button", "Generate")
    time.sleep(1.5)
    return process, win


def switch_service(win, name, url):
    """Send the next jobs to `name` at `url`, through the settings window."""
    win.click(win.find("toggle button", "Settings"))
    win.click(win.find("radio button", name))
    win.click(win.find("entry", "Server address"))
    win.key("ctrl+a")
    win.type(url)
    win.click(win.find("push button", "Use this service"))
    win.find(None, f"Service: {name}")
    time.sleep(0.5)


def editing(easel, url, out):
    """Painting the part to change, and comparing two pictures."""
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "data")
        for prompt in ["a lighthouse at dusk", "a kite over the sea"]:
            subprocess.run([easel, "generate", "--base-url", url, "--prompt", prompt],
                           env=dict(os.environ, EASEL_API_KEY="screenshot-key-0123456789", EASEL_DATA_DIR=data),
                           check=True, stdout=subprocess.DEVNULL)
        app, win = window(easel, work, url, (1366, 768))
        win.click(win.find("toggle button", "Image: a lighthouse at dusk", exact=False))
        win.click(win.find("push button", "Edit this picture"))
        win.paint([(0.25 + step / 120, 0.2 + step / 45) for step in range(25)])
        win.find("label", "Only the painted part changes.")
        win.park_mouse()
        subprocess.run(["import", "-window", win.id, os.path.join(out, "painting.png")], check=True)
        win.key("Escape")
        win.click(win.find("push button", "« Gallery"))
        for prompt in ["Image: a lighthouse at dusk", "Image: a kite over the sea"]:
            atspi.xdotool("keydown", "ctrl")
            win.click(win.find("toggle button", prompt, exact=False))
            atspi.xdotool("keyup", "ctrl")
        win.click(win.find("push button", "Compare"))
        win.find("image", "Comparison of two pictures")
        time.sleep(1.0)
        win.park_mouse()
        subprocess.run(["import", "-window", win.id, os.path.join(out, "compare.png")], check=True)
        app.kill()
        app.wait()


def main(easel, out):
    atspi.enable_accessibility()
    os.makedirs(out, exist_ok=True)
    ok, ok_url = sandbox(easel, "success")
    credits, credits_url = sandbox(easel, "credits_402")
    try:
        for size in [(1024, 640), (1366, 768)]:
            with tempfile.TemporaryDirectory() as work:
                app, win = window(easel, work, None, size, key=False)
                win.find(None, "Welcome to Easel")
                win.park_mouse()
                subprocess.run(["import", "-window", win.id, os.path.join(out, f"first-start-{size[0]}x{size[1]}.png")], check=True)
                app.kill()
                app.wait()

        with tempfile.TemporaryDirectory() as work:
            app, win = window(easel, work, credits_url, (1366, 768))
            win.type("a red fox in the snow")
            win.key("ctrl+Return")
            win.find("push button", "Add credits")
            win.park_mouse()
            subprocess.run(["import", "-window", win.id, os.path.join(out, "failure-advice.png")], check=True)
            app.kill()
            app.wait()

        with tempfile.TemporaryDirectory() as work:
            data = os.path.join(work, "data")
            for prompt in ["a lighthouse at dusk", "a kite over the sea"]:
                subprocess.run([easel, "generate", "--base-url", ok_url, "--prompt", prompt, "--candidates", "2"],
                               env=dict(os.environ, EASEL_API_KEY="screenshot-key-0123456789", EASEL_DATA_DIR=data),
                               check=True, stdout=subprocess.DEVNULL)
            app, win = window(easel, work, ok_url, (1280, 800))
            win.type("a watercolour harbour at sunrise")
            win.key("ctrl+Return")
            image = win.find("toggle button", "Image: a watercolour harbour", exact=False)
            time.sleep(1.5)
            win.park_mouse()
            subprocess.run(["import", "-window", win.id, os.path.join(out, "main.png")], check=True)
            win.click(image)
            win.click(win.find("push button", "Save as…"))
            win.find(None, "Save the picture as")
            time.sleep(1.0)
            win.park_mouse()
            subprocess.run(["import", "-window", win.id, os.path.join(out, "own-file-chooser.png")], check=True)
            app.kill()
            app.wait()
        with tempfile.TemporaryDirectory() as work:
            app, win = window(easel, work, ok_url, (1366, 768))
            win.type("a harbour at sunrise")
            win.key("ctrl+Return")
            win.find("toggle button", "Image: a harbour at sunrise", exact=False)
            switch_service(win, "AUTOMATIC1111 / Forge", ok_url)
            win.click(win.find("entry", "Prompt"))
            win.key("ctrl+a")
            win.type("a harbour on your own server")
            win.key("ctrl+Return")
            win.find("toggle button", "Image: a harbour on your own server", exact=False)
            switch_service(win, "ModelsLab", ok_url)
            win.click(win.find("entry", "Prompt"))
            win.key("ctrl+a")
            win.type("a lighthouse in a storm, oil painting")
            win.click(win.find("push button", "Try on several models…"))
            win.click(win.find("push button", "Make them all"))
            win.find(None, "One prompt on 2 models", exact=False)
            win.find(None, "Together: $", exact=False)
            time.sleep(1.5)
            win.park_mouse()
            subprocess.run(["import", "-window", win.id, os.path.join(out, "several-models.png")], check=True)
            win.click(win.find("push button", "« Gallery"))
            win.find(None, "Spent today: $", exact=False)
            time.sleep(1.0)
            win.park_mouse()
            subprocess.run(["import", "-window", win.id, os.path.join(out, "jobs-services.png")], check=True)
            app.kill()
            app.wait()
        editing(easel, ok_url, out)
    finally:
        for process in (ok, credits):
            process.kill()
            process.wait()


if __name__ == "__main__":
    main(*sys.argv[1:3])
