"""What a running ``alumnet dev`` tells the operator commands beside it: where its store is and
which keys sign its tokens, so that ``alumnet members create-admin`` and ``alumnet token`` work
against it as the README shows, with nothing copied from the banner.

Dev mode writes ``<data dir>/running.json`` once it serves and removes it when it stops. A
command that finds no ``MONGO_URL`` in its environment reads the file (if the process that
wrote it is still alive) and uses dev mode's settings; without either it stops at once with
the two ways out, instead of a store timeout.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

FILE = "running.json"
# The settings an operator command needs from a running dev mode (not its broker: the
# in-process memory broker cannot be shared; the commands write through the store's outbox).
SHARED = ("MONGO_URL", "MONGO_DB_PREFIX", "JWT_PUBLIC_KEY_FILE", "JWT_PRIVATE_KEY_FILE", "TOKEN_ENCRYPTION_KEY",
          "LINK_SIGNING_KEY", "PUBLIC_BASE_URL", "DEV_MODE")


def write(data_dir: Path, env: dict[str, str], gateway: str) -> Path:
    path = data_dir / FILE
    path.write_text(json.dumps({"pid": os.getpid(), "gateway": gateway,
                                "env": {k: env[k] for k in SHARED if k in env}}, indent=2))
    path.chmod(0o600)  # it names key files and holds the dev link keys
    return path


def remove(data_dir: Path) -> None:
    (data_dir / FILE).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(data_dir: Path) -> dict | None:
    """The running dev mode's record, or None (no file, or its process is gone)."""
    try:
        record = json.loads((data_dir / FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and _alive(int(record.get("pid", 0))) else None


def environment(data_dir: Path) -> dict[str, str]:
    """The environment an operator command runs with: its own when it names a store, else the
    running dev mode's, else a ``ClickException`` saying how to get one."""
    if os.environ.get("MONGO_URL"):
        return dict(os.environ)
    record = running(data_dir)
    if record is None:
        raise click.ClickException(
            f"No MONGO_URL is set and no `make dev` is running from {data_dir}/. Start `make dev` in another "
            f"terminal (this command then uses its store), or set MONGO_URL and the other settings of the "
            f"members service.")
    return {**os.environ, **record["env"]}
