"""The budget table (bench/budgets.toml) and the counting fixtures its tests share.

``counter``: the process's store-command counter (``shared.commandcount``), installed before
the test makes its app, with a fresh pool of store clients so that the app's client reports to
it. ``budget.check(row_id, seen)``: fails when ``seen`` (one counted window) holds more
commands than the row allows; with ``amortised_over=N`` the window's commands are divided by
N (a batch). Every check is recorded; with ``BUDGETS_REPORT=<path>`` set the session writes
what it measured there as JSON (``make bench`` prints it beside the budgets).
"""
from __future__ import annotations

import fcntl
import json
import os
import tomllib
from pathlib import Path

import pytest

import shared.store
from shared.commandcount import Seen, StoreCommands

TABLE_PATH = Path(__file__).resolve().parents[3] / "bench" / "budgets.toml"


def load_table() -> dict[str, dict]:
    rows = tomllib.loads(TABLE_PATH.read_text(encoding="utf-8"))["budget"]
    return {row["id"]: row for row in rows}


TABLE = load_table()
_measured: dict[str, dict] = {}


class Budget:
    def check(self, row_id: str, seen: Seen, *, amortised_over: int = 1) -> float:
        row = TABLE.get(row_id)
        assert row is not None, f"{row_id} has no row in {TABLE_PATH.name}"
        spent = seen.total / amortised_over
        _measured[row_id] = {"commands": spent, "by_kind": dict(seen.by_kind), "amortised_over": amortised_over,
                             "budget": row["commands"]}
        assert spent <= row["commands"], (
            f"{row_id} ({row['operation']}): {spent:g} store commands ({seen}"
            + (f", over {amortised_over}" if amortised_over > 1 else "") + f") > budget {row['commands']}"
            + f" ({row['why']})")
        return spent


@pytest.fixture
def budget() -> Budget:
    return Budget()


@pytest.fixture
def counter(monkeypatch):
    """The store-command counter, seen by every store client the test makes from here on."""
    counting = StoreCommands.install()
    monkeypatch.setattr(shared.store, "_clients", {})
    yield counting
    for client in shared.store._clients.values():
        client.close()


def pytest_sessionfinish(session) -> None:
    path = os.environ.get("BUDGETS_REPORT")
    if path and _measured:
        report = Path(path)
        report.parent.mkdir(parents=True, exist_ok=True)
        # Under pytest-xdist every worker merges its part into the one report: one at a time.
        with open(report.with_name(report.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            previous = json.loads(report.read_text()) if report.exists() else {}
            report.write_text(json.dumps({**previous, **_measured}, indent=2, sort_keys=True))
