"""Runs a local SecantusDB server (the embedded MongoDB-compatible store) as a child process,
for ``make dev`` and the tests. Services only ever see its ``mongodb://`` URL."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient


def die_with_parent() -> None:
    """For ``preexec_fn``: the child gets SIGTERM when the process that started it dies, so
    a killed test run or dev session leaves no orphan servers behind (Linux only)."""
    try:
        import ctypes
        import signal
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStore:
    def __init__(self, storage_path: str = ":memory:", port: int | None = None, log_path: str | None = None,
                 options: tuple[str, ...] = ()):
        self.storage_path = storage_path
        self.options = options  # more secantusd-py flags, e.g. a small oplog for a test
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> "LocalStore":
        if self.storage_path != ":memory:":
            Path(self.storage_path).mkdir(parents=True, exist_ok=True)
        command = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [command, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", self.storage_path,
             *self.options],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout_s
        client = MongoClient(self.url, serverSelectionTimeoutMS=500)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"SecantusDB exited with {self.process.returncode}"
                                       f" (is {self.storage_path} locked by another server?)")
                try:
                    client.admin.command("ping")
                    return self
                except Exception:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"SecantusDB did not start on port {self.port}")
                    time.sleep(0.1)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
