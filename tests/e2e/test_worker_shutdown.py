"""A worker is ready only with its consumer attached, and stops on SIGTERM: it finishes what
it holds, acks, and exits 0."""
from __future__ import annotations

import os
import signal

import requests

from tests.support import wait_until


def test_a_worker_exits_cleanly_on_sigterm(platform):
    name = "notifications-worker-2"
    url = platform.start_worker("notifications", name)
    extra = platform.processes[name]  # a second copy: the session's first one keeps running
    wait_until(lambda: _ready(url), timeout_s=60, message="second worker ready")
    checks = requests.get(f"{url}/readyz", timeout=5).json()["checks"]
    assert checks["consumer"] is True and checks["store"] is True
    os.killpg(extra.pid, signal.SIGTERM)
    assert extra.wait(30) == 0


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False
