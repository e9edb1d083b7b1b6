"""The one shape every bench's results take in JSON, so that ``make bench`` (bench/run.py) can
gather them into bench/results/latest.json, a Markdown table and a chart.

A bench keeps its own table for people; with ``--json PATH`` it also calls ``write`` with one
``Result`` per row. ``ratio`` and ``target`` are numbers on the same scale (a row PASSes when
``ratio >= target``, or for a ``lower_is_better`` row when ``ratio <= target``); rows that only
inform leave them None and their verdict empty. ``cpu_ms_per_op`` is the service's own CPU per
operation over the row (its processes' user + system time / operations), and
``baseline_cpu_ms_per_op`` the same figure for the row's baseline measured in the same run
(bare Flask ``/ping`` under the same gunicorn config for HTTP rows).
"""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    row: str                      # the row's name as the bench's table prints it
    value: str                    # the measured figure, formatted ("1,234/s", "12.5 ms")
    ratio: float | None = None    # value / baseline (or the row's own scale), compared with target
    target: float | None = None
    verdict: str = ""             # "PASS", "MISS" or "" (information)
    baseline: str = ""            # what the ratio is against, formatted
    unit: str = ""                # what value counts: "req/s", "emails/s", "ms p99", "commands"
    lower_is_better: bool = False
    cpu_ms_per_op: float | None = None
    baseline_cpu_ms_per_op: float | None = None


def cpu_ms_per_op(cpu_seconds: float | None, operations: int | float) -> float | None:
    """CPU milliseconds per operation from the CPU seconds a row's processes used."""
    if cpu_seconds is None or not operations:
        return None
    return cpu_seconds * 1000.0 / operations


def verdict(ratio: float | None, target: float | None, lower_is_better: bool = False) -> str:
    if ratio is None or target is None:
        return ""
    return "PASS" if (ratio <= target if lower_is_better else ratio >= target) else "MISS"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def write(path: str | Path, bench: str, store: str, results: list[Result], *, quick: bool,
          notes: list[str] | None = None) -> None:
    """Write one bench's results: which bench, the store it ran on, the commit, when, the rows."""
    document = {"bench": bench, "store": store, "commit": commit(), "quick": quick,
                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "rows": [asdict(r) for r in results], "notes": notes or []}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")


def budget_commands(row_id: str) -> float | None:
    """The store-command budget of ``row_id`` in bench/budgets.toml (None: no such row), so that a
    bench judges the commands it counts against the one table the budget tests hold."""
    import tomllib
    rows = tomllib.loads((ROOT / "bench" / "budgets.toml").read_text(encoding="utf-8"))["budget"]
    return next((row["commands"] for row in rows if row["id"] == row_id), None)
