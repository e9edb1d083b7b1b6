"""Runs a local SecantusDB server (the embedded MongoDB-compatible store) as a child process,
for ``make dev`` and the tests. Services only ever see its ``mongodb://`` URL."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

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


# The server's line once it listens; with port 0 the only place the chosen port is told.
LISTENING = re.compile(rb"secantus listening on \S+:(\d+)\s*$")


def free_port() -> int:
    """A port free at this instant, for a process that must be told its port before it starts
    (gunicorn, nginx, RabbitMQ): another process may take it before the bind, so a server that
    can bind port 0 and say which port it got should do that instead."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStore:
    def __init__(self, storage_path: str = ":memory:", port: int | None = None, log_path: str | None = None,
                 options: tuple[str, ...] = ()):
        self.storage_path = storage_path
        self.options = options  # more secantusd-py flags, e.g. a small oplog for a test
        # None: the server binds port 0 (the OS picks a free one while binding, so no other
        # process can take it first) and the port is read from its "listening" line.
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._listening = threading.Event()

    @property
    def url(self) -> str:
        assert self.port is not None, "the store's port is known once it has started"
        return f"mongodb://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> "LocalStore":
        if self.storage_path != ":memory:":
            Path(self.storage_path).mkdir(parents=True, exist_ok=True)
        command = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
        log = open(self.log_path, "ab") if self.log_path else None
        self._listening.clear()
        self.process = subprocess.Popen(
            [command, "--host", "127.0.0.1", "--port", str(self.port or 0), "--storage-path", self.storage_path,
             "--log-level", "INFO", *self.options],  # INFO: the "listening" line is logged at it
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
        threading.Thread(target=self._follow_output, args=(self.process.stdout, log), name="store-log",
                         daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while not self._listening.wait(0.1):
            self._raise_if_exited()
            if time.monotonic() > deadline:
                raise RuntimeError(f"SecantusDB did not say it was listening within {timeout_s}s")
        client = MongoClient(self.url, serverSelectionTimeoutMS=500)
        try:
            while True:
                self._raise_if_exited()
                try:
                    client.admin.command("ping")
                    return self
                except Exception:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"SecantusDB did not start on port {self.port}")
                    time.sleep(0.1)
        finally:
            client.close()

    def _raise_if_exited(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"SecantusDB exited with {self.process.returncode}"
                               f" (is {self.storage_path} locked by another server?)")

    def _follow_output(self, output: IO[bytes], log: IO[bytes] | None) -> None:
        """Copy the server's output to the log (read to its end, so the server never blocks
        on a full pipe), noting the port from its "listening" line."""
        with output:
            for line in output:
                if not self._listening.is_set() and (found := LISTENING.search(line)):
                    self.port = int(found.group(1))
                    self._listening.set()
                if log is not None:
                    log.write(line)
                    log.flush()
        if log is not None:
            log.close()

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
