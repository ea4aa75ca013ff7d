"""Shared fixtures for the contract tests: a fresh `easel sandbox` per test.

`sandbox("queued")` starts `$EASEL_BIN sandbox --port 0 --scenario queued` and returns a
`Sandbox` with its base URL; the process is stopped when the test ends. Every server here
listens on 127.0.0.1 only.
"""
import json
import os
import re
import subprocess
import urllib.request

import pytest

EASEL_BIN = os.environ.get("EASEL_BIN", "easel")
KEY = "contract-test-key-0000"


class Sandbox:
    def __init__(self, process, url):
        self.process = process
        self.url = url

    def requests(self):
        """What the sandbox received, oldest first (its request log, as JSON)."""
        with urllib.request.urlopen(self.url + "/_sandbox/requests", timeout=10) as answer:
            return json.load(answer)


@pytest.fixture
def sandbox():
    started = []

    def start(scenario="success", *extra):
        process = subprocess.Popen(
            [EASEL_BIN, "sandbox", "--port", "0", "--scenario", scenario, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            process.kill()
            raise RuntimeError(f"easel sandbox did not start: {line!r}")
        return Sandbox(process, found.group(0))

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
