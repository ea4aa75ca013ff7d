"""The harness itself: the sandbox starts, and the official clients are installed."""
import os
import subprocess
import urllib.request


def test_sandbox_answers_on_loopback(sandbox):
    box = sandbox("success")
    assert box.url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(box.url + "/sdapi/v1/sd-models", timeout=10) as answer:
        assert answer.status == 200


def test_the_official_modelslab_cli_runs():
    out = subprocess.run([os.environ["MODELSLAB_CLI"], "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "generate" in out.stdout + out.stderr


def test_the_sandbox_says_what_it_received(sandbox):
    box = sandbox("success")
    urllib.request.urlopen(box.url + "/sdapi/v1/sd-models", timeout=10).read()
    seen = box.requests()
    assert [(r["method"], r["path"]) for r in seen] == [("GET", "/sdapi/v1/sd-models")]
