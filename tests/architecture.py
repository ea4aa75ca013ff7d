#!/usr/bin/env python3
"""The architecture's rules, each a check a person can run (ARCHITECTURE.md lists them).

    python3 tests/architecture.py            # every rule
    python3 tests/architecture.py sizes      # one rule by name

Exits 1 and says which rule broke and where. tests/run.sh runs it before the tests.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WINDOW_CRATES = {"egui", "eframe", "egui_extras", "egui-winit", "egui_glow", "winit", "rfd", "glow", "accesskit"}
EASEL_CRATES = {"easel", "easel-engine", "easel-sandbox", "easel-testkit"}
MAX_CODE_LINES = 600


def tree(package, edges="normal,build"):
    """The crate names in `package`'s dependency tree (without dev-dependencies)."""
    out = subprocess.run(
        ["cargo", "tree", "--locked", "-p", package, "-e", edges, "--prefix", "none", "--format", "{p}"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def rule_engine_has_no_window():
    """easel-engine's dependency tree holds no window crate (egui, eframe, winit, rfd, …)."""
    found = tree("easel-engine") & WINDOW_CRATES
    return [f"easel-engine depends on {name}" for name in sorted(found)]


def rule_sandbox_is_alone():
    """easel-sandbox depends on no Easel crate: it imitates the services, not Easel."""
    found = (tree("easel-sandbox") - {"easel-sandbox"}) & EASEL_CRATES
    return [f"easel-sandbox depends on {name}" for name in sorted(found)]


def rule_layers_point_down():
    """The engine never depends on the app; the testkit is never shipped (dev-dependency only)."""
    problems = []
    if "easel" in tree("easel-engine"):
        problems.append("easel-engine depends on the app crate easel")
    for package in ("easel", "easel-engine", "easel-sandbox"):
        if "easel-testkit" in tree(package):
            problems.append(f"{package} ships easel-testkit (it may only be a dev-dependency)")
    return problems


def source_files():
    for crate in sorted(os.listdir(os.path.join(ROOT, "crates"))):
        src = os.path.join(ROOT, "crates", crate, "src")
        for folder, _, files in os.walk(src):
            for name in sorted(files):
                if name.endswith(".rs"):
                    yield os.path.join(folder, name)


def code_lines(text):
    """Lines of code: not blank, not only a comment, and not in a `#[cfg(test)]` module."""
    count = 0
    depth_at_tests = None
    depth = 0
    pending_cfg_test = False
    for line in text.splitlines():
        stripped = line.strip()
        opens, closes = stripped.count("{"), stripped.count("}")
        if depth_at_tests is not None:
            depth += opens - closes
            if depth <= depth_at_tests:
                depth_at_tests = None
            continue
        if stripped == "#[cfg(test)]":
            pending_cfg_test = True
            continue
        if pending_cfg_test and re.match(r"(pub(\(\w+\))? )?mod \w+ \{", stripped):
            depth_at_tests = depth
            depth += opens - closes
            pending_cfg_test = False
            continue
        pending_cfg_test = False
        depth += opens - closes
        if not stripped or stripped.startswith("//"):
            continue
        count += 1
    return count


def rule_sizes():
    """No source file has more than 600 lines of code (its tests may sit beside it)."""
    problems = []
    for path in source_files():
        with open(path, encoding="utf-8") as f:
            n = code_lines(f.read())
        if n > MAX_CODE_LINES:
            problems.append(f"{os.path.relpath(path, ROOT)}: {n} lines of code (at most {MAX_CODE_LINES})")
    return problems


def non_test_lines(path):
    """(number, line) of each line outside `#[cfg(test)]` modules."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    depth, depth_at_tests, pending = 0, None, False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        delta = stripped.count("{") - stripped.count("}")
        if depth_at_tests is not None:
            depth += delta
            if depth <= depth_at_tests:
                depth_at_tests = None
            continue
        if stripped == "#[cfg(test)]":
            pending = True
            continue
        if pending and re.match(r"(pub(\(\w+\))? )?mod \w+ \{", stripped):
            depth_at_tests = depth
            depth += delta
            pending = False
            continue
        pending = False
        depth += delta
        yield number, line


def rule_no_silent_discards():
    """No `let _ =` in shipped code: a failed write or send is logged or passed on.

    A discard that is really harmless says why on the same line: `// ignored: <reason>`."""
    problems = []
    for path in source_files():
        if "easel-testkit" in path:
            continue  # test equipment, never shipped
        for number, line in non_test_lines(path):
            if re.search(r"\blet _ =", line) and "// ignored:" not in line:
                problems.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")
    return problems


APP = "crates/easel/src/app/"
# The app's command layer: the only code that may call the engine's library, the key store or
# the disk, and start background work.
COMMAND_LAYER = re.compile(r"crates/easel/src/app/commands/")
# The app's wiring: the eframe::App, the frame's order and dispatch, the inbox, and the seams
# to the outside world. Every other file under app/ is a panel (or a panel's helper).
APP_WIRING = re.compile(r"crates/easel/src/app/(mod|inbox|deps|dialogs|logging)\.rs$|crates/easel/src/app/(workspace|commands)/")


def app_files(skip):
    for path in source_files():
        rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
        if rel.startswith(APP) and not skip.search(rel):
            yield path, rel


def rule_window_draws_without_writing():
    """No file of the window but its command layer (app/commands/) touches the library.

    The library is reached through the engine's `Store`: outside the command layer no app file
    names the type or calls `.store()`, so nothing is read or written while a frame is drawn."""
    problems = []
    for path, rel in app_files(COMMAND_LAYER):
        for number, line in non_test_lines(path):
            if re.search(r"\.store\(\)|\bStore\b", line.split("//")[0]):
                problems.append(f"{rel}:{number}: {line.strip()}")
    return problems


def rule_panels_only_return_actions():
    """Panels draw their state and push actions: they hold no engine, command layer or inbox,
    start no thread or task, and read no file (the command layer does, after the frame)."""
    forbidden = re.compile(r"\b(Engine|Commands|Background|Inbox|Message)\b|\bspawn(_blocking)?\(|std::thread|std::fs::|image::open")
    problems = []
    for path, rel in app_files(APP_WIRING):
        for number, line in non_test_lines(path):
            if forbidden.search(line.split("//")[0]):
                problems.append(f"{rel}:{number}: {line.strip()}")
    return problems


RULES = {
    "engine-has-no-window": rule_engine_has_no_window,
    "sandbox-is-alone": rule_sandbox_is_alone,
    "layers-point-down": rule_layers_point_down,
    "sizes": rule_sizes,
    "no-silent-discards": rule_no_silent_discards,
    "window-draws-without-writing": rule_window_draws_without_writing,
    "panels-only-return-actions": rule_panels_only_return_actions,
}


def main(names):
    failed = 0
    for name in names or RULES:
        rule = RULES[name]
        problems = rule()
        mark = "ok  " if not problems else "FAIL"
        print(f"[{mark}] {name}: {rule.__doc__.splitlines()[0]}")
        for p in problems:
            print(f"         {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
